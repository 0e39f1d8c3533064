"""`sikap label` commands (being written)."""
