"""The database writes of one hook call, made in one transaction: the client's JWT `jti`, the
issued card and the audit record.

All or none: a card leaves only when the spent token, the issued-card row and the audit record
are committed together, so no advice leaves without its audit record. One commit per call
instead of three: on SQLite one WAL fsync instead of three, on PostgreSQL 5 round trips instead
of 12. If that commit fails (503), the token is still recorded on its own where the database
allows it, so a captured copy cannot fetch the answer its client did not get.

The `jti` is checked when the call's transaction commits, after the assessment: a transaction
held open from the start would hold SQLite's one write lock for the whole call. A replayed token
still gets a bare 401 and nothing is written; concurrent uses of one token meet on the replay
table's unique key and exactly one commits. Calls that end before the commit (400, 412, ...)
record their `jti` alone after the answer is built (`settle_unrecorded_jti`), so a token spent
on an error cannot be used again either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Response, g
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from cds_service.audit.errors import AuditStoreError
from cds_service.auth.errors import AuthenticationError, AuthUnavailableError
from cds_service.auth.verifier import ClientJwtVerifier, VerifiedClient
from cds_service.db import in_transaction
from cds_service.errors import ServiceError, Unauthorized
from cds_service.feedback.errors import FeedbackStoreError

Step = Callable[[Connection], object]


class CallNotRecorded(ServiceError):
    """The call's writes could not be committed: no card leaves without its audit record."""

    status = 503
    code = "transient"


@dataclass
class CallWrites:
    engine: Engine
    verifier: ClientJwtVerifier | None
    client: VerifiedClient | None
    _steps: list[Step] = field(default_factory=list)
    attempted: bool = False

    def add(self, step: Step) -> None:
        """Queue a write for the commit (run in the order added, after the `jti`)."""
        self._steps.append(step)

    def commit(self) -> None:
        """Write the `jti` and every queued step in one transaction. Raises `Unauthorized` for a
        replayed token (nothing written) and `CallNotRecorded` when the database fails (no
        step written; the `jti` alone if it still can be)."""
        self.attempted = True

        def work(connection: Connection) -> None:
            if self.verifier is not None and self.client is not None:
                self.verifier.record_jti(self.client, connection)
            for step in self._steps:
                step(connection)

        try:
            in_transaction(self.engine, work)
        except (AuthUnavailableError, AuditStoreError, FeedbackStoreError, SQLAlchemyError) as exc:
            # SQLAlchemyError: the commit itself failed (the steps wrap their own errors).
            # No answer is given, but the token stays spent where the database still allows
            # it: a captured token must not get the answer its client did not.
            self.record_jti_alone()
            raise CallNotRecorded("the assessment could not be recorded; retry later") from exc
        except AuthenticationError:
            raise Unauthorized("unauthorized") from None

    def record_jti_alone(self) -> None:
        """For a call that ends before its commit, or whose commit failed: the token is spent
        all the same. A replayed token turns any outcome into the bare 401; a database failure
        does too before the commit (as when `authenticate` records it), not after a failed
        commit, whose 503 stands."""
        if self.verifier is None or self.client is None:
            return
        try:
            self.verifier.record_jti(self.client)
        except AuthUnavailableError:
            if self.attempted:
                return
            raise Unauthorized("unauthorized") from None
        except AuthenticationError:
            # A replayed (or unverifiable) token gets the bare 401, whatever else went wrong.
            raise Unauthorized("unauthorized") from None


_ON_REQUEST = "pannet_cds_call_writes"


def start_call_writes(
    engine: Engine, verifier: ClientJwtVerifier | None, client: VerifiedClient | None
) -> CallWrites:
    """The writes of the current request; `settle_unrecorded_jti` (an `after_request` of the
    blueprint) records the `jti` alone if the call ends before its commit was tried."""
    writes = CallWrites(engine, verifier, client)
    setattr(g, _ON_REQUEST, writes)
    return writes


def settle_unrecorded_jti(response: Response) -> Response:
    """After any answer of a call that never reached its commit (400, 412, 413, 500, ...): the
    token is spent all the same, and a replayed one gets the bare 401 whatever else failed."""
    writes: CallWrites | None = g.pop(_ON_REQUEST, None)
    if writes is None or writes.attempted:
        return response
    try:
        writes.record_jti_alone()
    except Unauthorized:
        return Response(status=401)
    return response
