"""Generators: extractive (no LLM) and, later, chat completions."""
