"""Thin Discord adapters: parse arguments, call the core, format, send."""
