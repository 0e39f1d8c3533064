"""`sikap report` commands (being written)."""
