"""What every PBX webhook goes through before a vendor looks at it: source address, size, text."""

from ipaddress import ip_address
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from app.deps import SettingsDep

KEPT_HEADERS = ("content-type", "user-agent", "x-forwarded-for", "x-real-ip", "signature", "x-callfunnel-signature")


def allowed_source(vendor: str):
    """Refuses a vendor's webhook from outside its configured address list (if it has one)."""

    def check(request: Request, settings: SettingsDep) -> None:
        networks = settings.pbx_allowed_ips.get(vendor)
        if not networks:
            return
        host = request.client.host if request.client else None
        try:
            if host and any(ip_address(host) in network for network in networks):
                return
        except ValueError:
            pass
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"{host} is not an allowed {vendor} address")

    return check


async def raw_body(request: Request, settings: SettingsDep) -> bytes:
    """The body as sent, refused with 413 past the configured limit without reading it all."""
    limit = settings.max_webhook_bytes
    too_large = HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"webhook body is larger than {limit} bytes")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def body_text(body: Annotated[bytes, Depends(raw_body)]) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "webhook body is not UTF-8 text") from None


def kept_headers(request: Request) -> dict[str, str]:
    return {name: request.headers[name] for name in KEPT_HEADERS if name in request.headers}


def remote_addr(request: Request) -> str | None:
    return request.client.host if request.client else None


BodyText = Annotated[str, Depends(body_text)]
