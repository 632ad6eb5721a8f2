"""The web console: the operator's panel and the supervisor's desk, static files that use only the
public API and websockets."""
