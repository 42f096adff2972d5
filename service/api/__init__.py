"""Routers, one per resource. A route parses, calls one function, returns a response model."""

from typing import Any

from service.schemas import ErrorResponse


def error_responses(*status_codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can return, all in the one error shape."""
    return {code: {"model": ErrorResponse} for code in status_codes}
