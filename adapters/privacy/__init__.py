"""Identifier detection backed by Presidio and spaCy."""
