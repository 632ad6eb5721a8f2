"""Live clients: the event bus, the operator panel and the supervisor feed over websockets."""
