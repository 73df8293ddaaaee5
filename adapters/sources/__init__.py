"""Importers of official sources: the French drug database and the interaction thesaurus."""
