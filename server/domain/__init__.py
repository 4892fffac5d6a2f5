"""Pure domain rules: no Flask, no SQLAlchemy, testable without an app."""
