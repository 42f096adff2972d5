"""Features across the whole archive: the vector index, search, asking the archive."""
