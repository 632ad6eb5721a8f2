"""Queues: the lines that land in them, their members and how calls are distributed."""
