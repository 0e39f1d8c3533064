"""Metrics and reports: scoring predictions against labels, per split and per model."""
