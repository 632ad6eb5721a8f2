"""Dispatching: waiting calls, offers to operators, claims and timers."""
