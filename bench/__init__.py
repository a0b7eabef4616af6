"""Benchmarks: how well the essay analysis does on hand-labelled essays, and how fast."""
