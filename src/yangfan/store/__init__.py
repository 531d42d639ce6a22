"""The store of data values and their sources: SQLite by default, PostgreSQL by URL."""
