"""callfunnel: the FastAPI application (settings, database, domains, scheduler)."""
