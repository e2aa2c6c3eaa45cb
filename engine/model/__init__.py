"""The vocabulary every other layer shares: the database tables, the error
types, the clock, the settings, the event log's record shape, size limits,
what can be stored in a case, and the expression allow-list (`expressions`) that
forms and diagrams are checked against.

May import: the standard library, SQLAlchemy's declarative layer. Nothing else
from `engine` (it is the bottom layer).
"""
