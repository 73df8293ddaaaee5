"""Identifier detection backed by spaCy."""
