"""Shared test settings: which database the suite runs on, and cheap password hashing.

Set CPPCC_TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)
to run every database test on PostgreSQL instead of a temporary SQLite file.
"""
import os

os.environ.setdefault("CPPCC_PASSWORD_HASH", "pbkdf2:sha256:1000")
