"""Audit many repositories into a database of runs, and report their state and trend from it."""
