"""Labeled data: the label files and their checks, splits, and realism statistics."""
