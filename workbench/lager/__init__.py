"""Stored state through SQLModel/SQLAlchemy: users, sessions, access log, reviews, tilsyn, report archive."""
