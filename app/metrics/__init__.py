"""``GET /metrics``: what ``app.instruments`` counted, and the figures read from the database when scraped."""
