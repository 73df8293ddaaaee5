"""The Matrix bot (matrix-nio)."""
