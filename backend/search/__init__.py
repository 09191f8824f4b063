"""Search: a port with two adapters (Meilisearch, embedded SQLite), a Redis cache in front, and
the sync worker that feeds the index from the database's change log."""
