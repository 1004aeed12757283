"""Server-side sessions of the SMART app. The browser holds only an HttpOnly cookie with a random
secret; each launch is a row keyed by a launch id (in the page URLs, so two tabs keep two
patients apart) and bound to the browser by the secret's hash. The payload, tokens included, is
encrypted with a key derived from the secret and the launch id, so the database alone reveals
nothing; a version column makes every change compare-and-set, so a double submit cannot act twice.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Column, Engine, Float, Integer, LargeBinary, String, Table, delete, select
from sqlalchemy import update as sql_update

from cds_service.db import metadata
from cds_service.smart.errors import SessionExpired, SessionInvalid
from cds_service.smart.oauth import TokenContext

AUTHORIZING_LIFETIME_S = 10 * 60
ACTIVE_LIFETIME_S = 8 * 60 * 60
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,128}$")

sessions_table = Table(
    "smart_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("owner", String(64), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
    Column("version", Integer, nullable=False),
)


class Stage(StrEnum):
    AUTHORIZING = "authorizing"
    ACTIVE = "active"


class PendingOrder(BaseModel):
    """Orders shown for confirmation: placed only with this one-time ticket and unchanged."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ticket: str
    modality: str
    digest: str


class SmartSession(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    iss: str
    stage: Stage
    csrf: str = Field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    state: str | None = Field(default=None, repr=False)
    code_verifier: str | None = Field(default=None, repr=False)
    nonce: str | None = Field(default=None, repr=False)
    redirect_uri: str
    token_endpoint: str
    requested_scope: str
    launch: str | None = Field(default=None, repr=False)
    token: TokenContext | None = Field(default=None, repr=False)
    pending_order: PendingOrder | None = None
    placed: list[dict] = Field(default_factory=list, description="results of the last placing")
    placed_ticket: str | None = Field(default=None, repr=False)
    worklist_lid: str | None = Field(
        default=None, description="the practitioner launch whose worklist opened this patient"
    )


@dataclass(frozen=True)
class Loaded:
    lid: str
    session: SmartSession
    version: int


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_launch_id() -> str:
    return secrets.token_urlsafe(24)


def valid_token(value: str | None) -> bool:
    return value is not None and bool(_TOKEN.match(value))


def _owner(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _fernet(secret: str, lid: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"pannet-smart:{lid}".encode()
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


class SessionStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, lid: str, secret: str, session: SmartSession) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(sessions_table).where(sessions_table.c.expires_at < time.time()))
            conn.execute(
                sessions_table.insert().values(
                    id=lid,
                    owner=_owner(secret),
                    payload=_fernet(secret, lid).encrypt(session.model_dump_json().encode()),
                    expires_at=time.time() + AUTHORIZING_LIFETIME_S,
                    version=1,
                )
            )

    def load(self, lid: str, secret: str | None) -> Loaded:
        if secret is None or not valid_token(lid) or not valid_token(secret):
            raise SessionInvalid("No app session was found for this page in this browser.")
        with self._engine.connect() as conn:
            row = conn.execute(select(sessions_table).where(sessions_table.c.id == lid)).first()
        if row is None or not hmac.compare_digest(row.owner, _owner(secret)):
            raise SessionInvalid("No app session was found for this page in this browser.")
        if row.expires_at < time.time():
            raise SessionExpired("This app session has ended.")
        try:
            plain = _fernet(secret, lid).decrypt(row.payload)
        except InvalidToken:
            raise SessionInvalid("The app session could not be read.") from None
        return Loaded(lid, SmartSession.model_validate_json(plain), row.version)

    def save(
        self,
        loaded: Loaded,
        secret: str,
        session: SmartSession,
        *,
        extend: bool,
        rotate_to: str | None = None,
    ) -> None:
        """Replace the session if nobody changed it since `loaded`; else SessionInvalid.
        `rotate_to` binds it to a new browser secret from now on (the old one stops working)."""
        key = rotate_to or secret
        values: dict[str, object] = {
            "payload": _fernet(key, loaded.lid).encrypt(session.model_dump_json().encode()),
            "version": loaded.version + 1,
        }
        if rotate_to is not None:
            values["owner"] = _owner(rotate_to)
        if extend:
            values["expires_at"] = time.time() + ACTIVE_LIFETIME_S
        with self._engine.begin() as conn:
            result = conn.execute(
                sql_update(sessions_table)
                .where(sessions_table.c.id == loaded.lid)
                .where(sessions_table.c.version == loaded.version)
                .values(**values)
            )
        if result.rowcount != 1:
            raise SessionInvalid("This action was already taken in another request.")

    def expiry_of(self, lids: list[str]) -> dict[str, float]:
        """When each of `lids` that is still stored expires (unknown ones are left out)."""
        wanted = [lid for lid in lids if valid_token(lid)]
        if not wanted:
            return {}
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(sessions_table.c.id, sessions_table.c.expires_at).where(
                    sessions_table.c.id.in_(wanted)
                )
            )
            return {row.id: row.expires_at for row in rows}
