"""Running the system for years: the consistency check (and, to come, backups and health)."""
