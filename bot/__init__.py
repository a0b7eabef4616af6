"""Marginalia: a Discord bot for the communities around essay blogs."""

__version__ = "0.1.0"
