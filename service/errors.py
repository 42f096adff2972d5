"""One error type per failure a user can see, rendered as {"error": {"code", "message"}}."""

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class PrecisError(Exception):
    status_code = 500
    code = "internal_error"

    def __init__(self, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers


class ArticleNotFound(PrecisError):
    status_code = 404
    code = "article_not_found"

    def __init__(self, article_id: int) -> None:
        super().__init__(f"No article with id {article_id}.")


class TextTooLong(PrecisError):
    status_code = 413
    code = "text_too_long"

    def __init__(self, field: str, length: int, limit: int) -> None:
        super().__init__(f"The {field} is {length} characters long; the limit is {limit}.")


class NotText(PrecisError):
    status_code = 422
    code = "invalid_input"

    def __init__(self, where: str) -> None:
        super().__init__(f"The {where} holds a NUL character (%00), which is not text.")


class BodyTooLarge(PrecisError):
    status_code = 413
    code = "body_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is larger than {limit} bytes.")


class PathNotFound(PrecisError):
    status_code = 404
    code = "not_found"

    def __init__(self) -> None:
        super().__init__("Not Found")


class UnreadableArticle(PrecisError):
    status_code = 422
    code = "unreadable_article"


class NoMatchingArticles(PrecisError):
    status_code = 404
    code = "no_matching_articles"

    def __init__(self, query: str) -> None:
        super().__init__(f"No stored article matches {query!r}; try other words, or name articles by id.")


class UnsupportedLanguage(PrecisError):
    status_code = 422
    code = "unsupported_language"

    def __init__(self, language: str) -> None:
        super().__init__(
            f"This text is in another language than English (detected: {language}); Precis's models read only "
            "English, so it would summarise or answer it no better than at random."
        )
        self.language = language


class MissingKey(PrecisError):
    status_code = 401
    code = "missing_key"

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": "Bearer"})


class InvalidKey(PrecisError):
    status_code = 401
    code = "invalid_key"

    def __init__(self, message: str) -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class RevokedKey(PrecisError):
    status_code = 403
    code = "revoked_key"

    def __init__(self, name: str) -> None:
        super().__init__(f"The API key {name!r} has been revoked; ask the operator for a new one.")


class RateLimited(PrecisError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, limit: str, retry_after_seconds: int) -> None:
        super().__init__(
            f"Too many requests: the limit is {limit}; try again in {retry_after_seconds} s.",
            headers={"Retry-After": str(retry_after_seconds)},
        )


class Overloaded(PrecisError):
    status_code = 503
    code = "overloaded"

    def __init__(self, retry_after_seconds: int = 1) -> None:
        super().__init__(
            "Precis is busy with other requests; try again shortly (stored summaries and answers are still served).",
            headers={"Retry-After": str(retry_after_seconds)},
        )


class RateLimitsUnavailable(PrecisError):
    status_code = 503
    code = "rate_limits_unavailable"

    def __init__(self, retry_after_seconds: int = 5) -> None:
        super().__init__(
            "Precis cannot reach its rate-limit store, so it runs no new model work; try again shortly (stored "
            "summaries and answers are still served).",
            headers={"Retry-After": str(retry_after_seconds)},
        )


class NotReady(PrecisError):
    status_code = 503
    code = "not_ready"

    def __init__(self, message: str, retry_after_seconds: int = 5) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after_seconds)})


def error_body(code: str, message: str, details: object = None) -> dict[str, object]:
    error: dict[str, object] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


def describe_validation_errors(errors: Sequence[Any]) -> str:
    """The first problem pydantic found, as one line a person can act on."""
    first = errors[0]
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    # pydantic prefixes messages raised by our own validators with "Value error, ".
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(PrecisError)
    async def precis_error(_: Request, error: PrecisError) -> JSONResponse:
        return JSONResponse(error_body(error.code, error.message), error.status_code, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        malformed = error.errors()[0].get("type") == "json_invalid"
        code = "malformed_json" if malformed else "invalid_input"
        message = "The request body is not valid JSON." if malformed else describe_validation_errors(error.errors())
        details = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in error.errors()]
        return JSONResponse(error_body(code, message, details), 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 400:
            # FastAPI's only 400: a body it could not read at all (not UTF-8, say). A body that is not JSON is
            # a 422 already; one status for both.
            return JSONResponse(error_body("malformed_json", "The request body is not valid UTF-8 JSON."), 422)
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return JSONResponse(error_body(code, str(error.detail)), error.status_code, headers=error.headers)
