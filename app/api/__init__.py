"""The HTTP API under ``/api``, one module per resource: each endpoint validates, calls one service
and shapes the answer.  The top layer: it may use every package below it."""
