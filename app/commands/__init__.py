"""Commands to the PBX (route a call, click-to-call): an outbox of rows, sent after commit, rate-limited."""
