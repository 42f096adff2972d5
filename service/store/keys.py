"""API keys: plain functions over a session.

A key reads `precis_<prefix>_<secret>`. The prefix finds the row; the whole key is checked against its SHA-256 in
constant time. SHA-256 without salt or stretching is enough here: the secret is 256 random bits, not a password
a person chose, so there is nothing to guess from the hash."""

import hashlib
import hmac
import re
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.store.tables import ApiKeyRow, utc_now

_KEY_FORMAT = re.compile(r"precis_([0-9a-f]{12})_[A-Za-z0-9_-]{43}")
KEY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class KeyNameTaken(ValueError):
    pass


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(session: Session, name: str) -> tuple[ApiKeyRow, str]:
    """A new key named `name`; returns the row and the key itself, which is shown once and never stored."""
    prefix = secrets.token_hex(6)
    key = f"precis_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKeyRow(name=name, prefix=prefix, secret_hash=_digest(key))
    session.add(row)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise KeyNameTaken(f"a key named {name!r} exists already; choose another name") from None
    return row, key


def list_keys(session: Session) -> list[ApiKeyRow]:
    return list(session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id)))


def revoke_key(session: Session, name: str) -> ApiKeyRow | None:
    """Revokes the key named `name` (a revoked key stays listed, so its requests can still be told apart)."""
    row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.name == name))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utc_now()
        session.commit()
    return row


def find_key(session: Session, key: str) -> ApiKeyRow | None:
    """The row of a presented key, revoked or not; None for anything that is not a key Precis issued."""
    match = _KEY_FORMAT.fullmatch(key)
    if match is None:
        return None
    row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.prefix == match.group(1)))
    if row is None or not hmac.compare_digest(row.secret_hash, _digest(key)):
        return None
    return row
