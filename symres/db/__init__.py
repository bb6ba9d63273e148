"""The symbol database: SQLite, embedded, in the user cache; a shipped snapshot in data/."""
