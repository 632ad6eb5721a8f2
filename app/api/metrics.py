"""``GET /metrics`` for Prometheus, behind its own bearer token: the figures are the business's."""

import hmac

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import Response

from app import instruments
from app.database import utcnow
from app.deps import DbDep, SettingsDep
from app.metrics import exposition, figures

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {exposition.CONTENT_TYPE: {}}, "description": "Prometheus text format"},
        401: {"description": "no or a wrong `Authorization: Bearer <METRICS_TOKEN>`"},
        404: {"description": "METRICS_TOKEN is unset, or METRICS_ENABLED is false"},
    },
)
async def metrics(request: Request, db: DbDep, settings: SettingsDep) -> Response:
    """Counters since start (summed over workers), then the queues, operators, callbacks, inbox and
    reconciliation as they are in the database now."""
    if not settings.metrics_token or not instruments.enabled():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Not Found")
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), settings.metrics_token.encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "metrics need Authorization: Bearer <METRICS_TOKEN>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    now = utcnow()
    families = await db.read(lambda s: figures.read(s, now=now))
    configured = [name for name, vendor in request.app.state.vendors.items() if vendor.accepts_webhooks]
    return Response(exposition.render([*families, figures.vendors(configured)]), media_type=exposition.CONTENT_TYPE)
