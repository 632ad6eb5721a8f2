# callfunnel: the API server.  Migrations are applied on start.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /srv/callfunnel

COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY telephony ./telephony
COPY routing ./routing
COPY schemas ./schemas
COPY alembic ./alembic
# Editable: the migrations (alembic/) are read from this directory at start-up.
RUN pip install -e . && useradd --system --uid 10001 --home /srv/callfunnel callfunnel && mkdir -p /data && chown callfunnel /data

USER 10001
# SQLite in a volume by default; set CALLFUNNEL_DATABASE_URL=postgresql+asyncpg://... for production.
ENV CALLFUNNEL_DATABASE_URL=sqlite+aiosqlite:////data/callfunnel.db
# Fetched recordings (and the coaching examples' audio, kept for good) beside it.
ENV CALLFUNNEL_RECORDING_CACHE_DIR=/data/recordings
VOLUME ["/data"]
EXPOSE 8000
# callfunnel serve: uvicorn with proxy headers, keep-alive 75 s and a stop bounded by CALLFUNNEL_SHUTDOWN_SECONDS.
CMD ["callfunnel", "serve", "--host", "0.0.0.0", "--port", "8000"]
