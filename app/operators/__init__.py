"""Operators: who can take calls, their skills and their live state."""
