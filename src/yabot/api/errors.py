"""The error envelope: every status >= 400 answers {"error": {code, message, details}}."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from yabot.domain.errors import (
    AlreadyClaimedError,
    ConflictError,
    InsufficientFundsError,
    InvalidChoiceError,
    InvalidInputError,
    ItemUnavailableError,
    NotFoundError,
    StoreUnavailableError,
    VipRequiredError,
)
from yabot.logs import get_logger

log = get_logger(__name__)


class ApiError(Exception):
    """Raise from a route to answer with a specific status and code."""

    def __init__(self, status: int, code: str, message: str, details: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details, self.headers = details, headers


def error_response(status: int, code: str, message: str, details: Any = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "details": details}},
        status_code=status, headers=headers)


def _code_for(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def validation_details(errors: Any) -> list[dict[str, Any]]:
    """`[{field, loc, msg, type}]` without echoing the input (it may hold secrets)."""
    return [{"field": _field(e.get("loc", ())), "loc": list(e.get("loc", ())),
             "msg": e.get("msg"), "type": e.get("type")} for e in errors]


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves on this path (Starlette's 405 names only the methods
    of the first route that matched the path)."""
    routes = request.app.router.routes
    return [method for method in _METHODS
            if any(route.matches({**request.scope, "method": method})[0] == Match.FULL
                   for route in routes)]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = str(exc.detail)
        if exc.status_code == 400 and request.url.path.startswith("/api/"):
            # FastAPI's "error parsing the body" (e.g. not UTF-8): a validation failure here
            return error_response(422, "validation_error", "request validation failed: body",
                                  [{"field": "body", "loc": ["body"], "msg": message,
                                    "type": "body_unreadable"}])
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such route: {request.method} {request.url.path} (see /docs)"
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            message = f"method {request.method} is not allowed on {request.url.path}"
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return error_response(exc.status_code, _code_for(exc.status_code), message,
                              headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = validation_details(exc.errors())
        fields = ", ".join(sorted({d["field"] for d in details}))
        return error_response(422, "validation_error",
                              f"request validation failed: {fields}", details)

    @app.exception_handler(InvalidInputError)
    async def _invalid(_: Request, exc: InvalidInputError) -> JSONResponse:
        return error_response(422, "validation_error", f"request validation failed: {exc}",
                              [{"field": exc.field, "loc": ["body", exc.field],
                                "msg": str(exc), "type": "value_error"}])

    @app.exception_handler(NotFoundError)
    async def _not_found(_: Request, exc: NotFoundError) -> JSONResponse:
        return error_response(404, f"{exc.kind}_not_found", str(exc), {exc.kind: exc.key})

    @app.exception_handler(VipRequiredError)
    async def _vip(_: Request, exc: VipRequiredError) -> JSONResponse:
        return error_response(403, "vip_required", str(exc),
                              {"user_id": exc.user_id, "resource": exc.resource})

    @app.exception_handler(InsufficientFundsError)
    async def _funds(_: Request, exc: InsufficientFundsError) -> JSONResponse:
        return error_response(409, "insufficient_funds", str(exc),
                              {"balance": exc.balance, "amount": exc.amount})

    @app.exception_handler(InvalidChoiceError)
    async def _choice(_: Request, exc: InvalidChoiceError) -> JSONResponse:
        return error_response(409, "invalid_choice", str(exc),
                              {"choice_id": exc.choice_id, "fragment_id": exc.fragment_id})

    @app.exception_handler(ItemUnavailableError)
    async def _item(_: Request, exc: ItemUnavailableError) -> JSONResponse:
        return error_response(409, "item_unavailable", str(exc),
                              {"item_id": exc.item_id, "reason": exc.reason})

    @app.exception_handler(AlreadyClaimedError)
    async def _claimed(_: Request, exc: AlreadyClaimedError) -> JSONResponse:
        return error_response(409, "already_claimed", str(exc), {"day": exc.day})

    @app.exception_handler(ConflictError)
    async def _conflict(_: Request, exc: ConflictError) -> JSONResponse:
        return error_response(409, "conflict", str(exc))

    @app.exception_handler(StoreUnavailableError)
    async def _unavailable(_: Request, exc: StoreUnavailableError) -> JSONResponse:
        return error_response(503, "store_unavailable", str(exc), {"store": exc.store},
                              headers={"Retry-After": "5"})
