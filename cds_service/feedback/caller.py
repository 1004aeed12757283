"""Who sent a CDS call, for tying issued cards and feedback to the client."""

from __future__ import annotations

import jwt
from flask import request

from cds_service.state import ServiceState


def caller_issuer(state: ServiceState) -> str | None:
    """The JWT `iss` of this request, once `authenticate` has accepted its token; None when JWT
    verification is off (then nobody is authenticated and no issuer is recorded or compared).

    Read without verifying again: `authenticate` verified this same Authorization header (its
    signature by this issuer's keys) before any caller gets here.
    """
    if state.verifier is None:
        return None
    token = (request.headers.get("Authorization") or "").partition(" ")[2].strip()
    issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise ValueError("caller_issuer() called for a request whose JWT was not verified")
    return issuer
