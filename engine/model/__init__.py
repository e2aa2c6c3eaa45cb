"""The vocabulary every other layer shares: the database tables, the error
types, the clock, the settings, the event log's record shape, size limits and
what can be stored in a case.

May import: the standard library, SQLAlchemy's declarative layer. Nothing else
from `engine` (it is the bottom layer).
"""
