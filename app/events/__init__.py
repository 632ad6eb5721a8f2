"""The event outbox: events written by the transaction that causes them, numbered as it commits.
The lowest layer: every domain publishes here; ``realtime`` shows the events to live clients."""
