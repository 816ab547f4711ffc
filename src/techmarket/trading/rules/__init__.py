"""The market's pure rule book: no I/O, no SQLAlchemy, no clock reads."""
