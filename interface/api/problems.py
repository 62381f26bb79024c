"""RFC 9457 problem details: every error leaves the API in this one shape."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from application.errors import ApplicationError
from domain.errors import DomainError

log = structlog.get_logger(__name__)

PROBLEM_TYPE_BASE = "https://gdprkit.dev/problems/"
MEDIA_TYPE = "application/problem+json"


def problem(
    status: int, title: str, detail: str, instance: str, **extra: Any
) -> JSONResponse:
    slug = title.lower().replace(" ", "-")
    body = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApplicationError)
    async def _application_error(
        request: Request, error: ApplicationError
    ) -> JSONResponse:
        return problem(error.status, error.title, error.detail, request.url.path)

    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, error: DomainError) -> JSONResponse:
        return problem(409, "Conflict", str(error), request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(
        request: Request, error: RequestValidationError
    ) -> JSONResponse:
        errors = [
            {
                "location": ".".join(str(part) for part in item.get("loc", ())),
                "message": item.get("msg", ""),
                "type": item.get("type", ""),
            }
            for item in error.errors()
        ]
        if any(item["type"] == "json_invalid" for item in errors):
            return problem(
                400,
                "Malformed JSON",
                "the request body is not valid JSON",
                request.url.path,
            )
        return problem(
            422,
            "Invalid input",
            "the request does not match the schema",
            request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(
        request: Request, error: StarletteHTTPException
    ) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed", 413: "Payload too large"}
        return problem(
            error.status_code,
            titles.get(error.status_code, "HTTP error"),
            str(error.detail),
            request.url.path,
        )

    @app.exception_handler(Exception)
    async def _defect(request: Request, error: Exception) -> JSONResponse:
        log.error(
            "api.unhandled_error", error=type(error).__name__, path=request.url.path
        )
        return problem(
            500,
            "Internal error",
            "an unexpected error occurred; it was logged",
            request.url.path,
        )
