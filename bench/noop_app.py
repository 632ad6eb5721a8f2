"""The floor for bench/ingest.py: a FastAPI endpoint that reads the webhook body and does nothing."""

from fastapi import FastAPI, Request

app = FastAPI()


@app.post("/pbx/{path:path}")
async def noop(path: str, request: Request) -> dict:
    await request.body()
    return {"status": "accepted"}


@app.get("/health")
async def health() -> dict:
    return {"status": "ok"}
