"""Batch scoring of articles: readers, the streaming scorer, output formats and engines."""
