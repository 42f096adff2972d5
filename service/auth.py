"""Who is calling: an API key (`Authorization: Bearer …`) or, without one, the client's address.

Writes always need a valid key; reads only with PRECIS_REQUIRE_KEY_FOR_READS. A key that is presented is checked
on every route, so a client with a mistyped key hears about it instead of being served anonymously."""

from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from service.deps import SettingsDep
from service.errors import InvalidKey, MissingKey, RevokedKey
from service.model_gate import ModelAccess
from service.rate_limits import RateLimits
from service.settings import Settings
from service.store.keys import find_key
from service.store.tables import ApiKeyRow

# For the read routes' OpenAPI entries: a key, or none (FastAPI appends this to the route's security list).
OPEN_TO_READERS: dict[str, object] = {"security": [{}]}

# auto_error=False: the 401 is Precis's own, in the one error shape.
_bearer = HTTPBearer(auto_error=False, description="A key made with `precis keys create NAME`.")


@dataclass(frozen=True)
class Caller:
    key_name: str | None
    address: str

    @property
    def identity(self) -> str:
        """Whom rate limits count against: the key when there is one, otherwise the address."""
        return f"key:{self.key_name}" if self.key_name else f"address:{self.address}"


async def _caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]
) -> Caller:
    # async (see service/deps.py): most callers send no key, and only a key needs the store, in a thread. The
    # session is opened here rather than taken as a dependency: a keyless request then costs no session at all.
    address = _address(request)
    if credentials is None:
        if "authorization" in request.headers:
            raise InvalidKey("The Authorization header must read 'Bearer <key>'.")
        return Caller(key_name=None, address=address)
    row = await run_in_threadpool(_find_key, request.app.state.sessions, credentials.credentials)
    if row is None:
        raise InvalidKey("This API key is not one Precis issued.")
    if row.revoked_at is not None:
        raise RevokedKey(row.name)
    return Caller(key_name=row.name, address=address)


def _find_key(sessions: sessionmaker[Session], key: str) -> ApiKeyRow | None:
    with sessions() as session:
        return find_key(session, key)


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _writer(caller: Annotated[Caller, Depends(_caller)]) -> Caller:
    if caller.key_name is None:
        raise MissingKey("Storing or deleting articles needs an API key: send 'Authorization: Bearer <key>'.")
    return caller


def _as_reader(caller: Caller, settings: Settings) -> Caller:
    if settings.require_key_for_reads and caller.key_name is None:
        raise MissingKey("This server needs an API key for every request: send 'Authorization: Bearer <key>'.")
    return caller


async def _reader(caller: Annotated[Caller, Depends(_caller)], settings: SettingsDep) -> Caller:
    return _as_reader(caller, settings)


def document_keys_required_for_reads(app: FastAPI) -> None:
    """With PRECIS_REQUIRE_KEY_FOR_READS, the spec says so too: no read route is open without a key."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        spec = build()
        for operations in spec["paths"].values():
            for operation in operations.values():
                if "security" in operation:
                    operation["security"] = [scheme for scheme in operation["security"] if scheme]
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


WriterDep = Annotated[Caller, Depends(_writer)]
ReaderDep = Annotated[Caller, Depends(_reader)]


async def _model_access(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]
) -> ModelAccess:
    # The reader's checks as plain calls rather than ReaderDep: each dependency FastAPI resolves costs a request
    # some microseconds (three fewer here: ≈ 5% of a stored summary's event-loop time), and this one is on every
    # route that may run a model.
    caller = _as_reader(await _caller(request, credentials), request.app.state.settings)
    rate_limits: RateLimits = request.app.state.rate_limits
    return ModelAccess(request.app.state.gate, partial(rate_limits.check, caller.identity))


# For routes that may run a model: a reader, whose model runs count against their rate limit, through the gate.
ModelAccessDep = Annotated[ModelAccess, Depends(_model_access)]


async def _page_model_access(request: Request) -> ModelAccess:
    rate_limits: RateLimits = request.app.state.rate_limits
    reader = Caller(key_name=None, address=_address(request))
    return ModelAccess(request.app.state.gate, partial(rate_limits.check, reader.identity))


# For the reader pages, which a news site's readers open without a key: counted against their address.
PageModelAccessDep = Annotated[ModelAccess, Depends(_page_model_access)]
