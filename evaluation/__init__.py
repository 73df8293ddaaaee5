"""Evaluations of the whole bot on labelled question sets (`medgpt eval …`)."""
