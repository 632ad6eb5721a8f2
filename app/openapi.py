"""The OpenAPI document as the API really answers: every error status an operation can give is
declared, with its body, and the 422 body in both shapes it takes (FastAPI's list of field
errors, or one sentence from a rule the service checks)."""

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR = {
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"type": "string", "description": "why, in words"}},
}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_INVALID_REF = {"$ref": "#/components/schemas/HTTPValidationError"}

_API_ERRORS = {
    "401": "missing or invalid bearer token",
    "403": "the role or the owner rule does not allow it",
    "404": "no such thing",
    "409": "conflicts with the current state (taken, already done, a duplicate)",
    "413": "the JSON body is larger than 1 MiB",
    "429": "too many failed sign-ins for this name; retry after Retry-After seconds",
    "422": "the input cannot be used",
    "503": "the database is unavailable; retry after Retry-After seconds",
}
_PBX_ERRORS = {
    "400": "unsigned or malformed",
    "401": "wrongly signed",
    "403": "not configured, or not from an allowed address",
    "404": "not a path the PBX posts to",
    "408": "the body did not arrive in time",
    "409": "dated longer ago than WEBHOOK_MAX_AGE_DAYS",
    "413": "larger than MAX_WEBHOOK_BYTES",
    "422": "signed but unreadable: stored for replay",
    "503": "the database is unavailable; the PBX sends it again",
}


def install(app: FastAPI) -> None:
    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = _document(app)
        return app.openapi_schema

    app.openapi = openapi


def _document(app: FastAPI) -> dict:
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR
    if "HTTPValidationError" in components:
        detail = components["HTTPValidationError"]["properties"]["detail"]
        components["HTTPValidationError"]["properties"]["detail"] = {"anyOf": [detail, {"type": "string"}]}
    else:
        components["HTTPValidationError"] = {"type": "object", "properties": {"detail": {"type": "string"}}}
    for path, item in schema.get("paths", {}).items():
        errors = _API_ERRORS if path.startswith("/api/") else _PBX_ERRORS if path.startswith("/pbx/") else {}
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            for code, description in errors.items():
                body = _INVALID_REF if code == "422" else _ERROR_REF
                responses.setdefault(
                    code, {"description": description, "content": {"application/json": {"schema": body}}}
                )
    return schema
