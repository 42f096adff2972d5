"""The article store: SQLAlchemy tables and plain repository functions over a session."""
