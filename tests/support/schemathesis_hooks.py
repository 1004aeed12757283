"""Schemathesis hooks for the contract suite (loaded through SCHEMATHESIS_HOOKS by the
schemathesis process that tests/test_contract_schemathesis.py starts).

- Every call gets a fresh CDS client JWT (new `jti`, `aud` = the URL called), so the
  authentication path is fuzzed too and the replay cache never refuses a legitimate call.
- a valid `fhirServer` is pointed at a closed loopback port, and the service runs behind a dead
  loopback proxy (tests/support/service_process.py): no generated host is ever contacted.
- The one cross-field rule OpenAPI cannot state, that the prefetched Patient is
  context.patientId's, is applied to bodies that are otherwise well-formed.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import schemathesis
from cryptography.hazmat.primitives.serialization import load_pem_private_key

ENV_KEY = "PANNET_CDS_CONTRACT_JWT_KEY"  # PEM file of the issuer's private key
ENV_ISS = "PANNET_CDS_CONTRACT_JWT_ISS"
ENV_KID = "PANNET_CDS_CONTRACT_JWT_KID"
ENV_BASE = "PANNET_CDS_CONTRACT_BASE_URL"
ENV_FHIR = "PANNET_CDS_CONTRACT_FHIR_URL"
_URL = re.compile(r"^https?://[A-Za-z0-9.\-]+(:[1-9][0-9]{0,3})?(/[A-Za-z0-9._~\-/]*)?$")
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def _mint(audience: str) -> str:
    key = load_pem_private_key(Path(os.environ[ENV_KEY]).read_bytes(), password=None)
    now = int(time.time())
    claims = {
        "iss": os.environ[ENV_ISS],
        "sub": "contract-suite",
        "aud": audience,
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
    }
    headers = {"typ": "JWT", "kid": os.environ[ENV_KID]}
    return jwt.encode(claims, key, algorithm="ES384", headers=headers)


@schemathesis.auth(refresh_interval=None)
class FreshClientJwt:
    def get(self, case: Any, context: Any) -> str:
        return _mint(os.environ[ENV_BASE].rstrip("/") + case.formatted_path)

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schemathesis.hook
def map_body(context: Any, body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    server = body.get("fhirServer")
    if isinstance(server, str) and len(server) <= 2048 and _URL.match(server):
        # Only a schema-valid URL is swapped (for another valid one): a negative case stays
        # negative. Anything else the service accepts goes to the runner's dead proxy.
        body["fhirServer"] = os.environ[ENV_FHIR]
    context_obj, prefetch = body.get("context"), body.get("prefetch")
    if isinstance(context_obj, dict) and isinstance(prefetch, dict):
        patient_id = context_obj.get("patientId")
        patient = prefetch.get("patient")
        if (
            isinstance(patient_id, str)
            and _FHIR_ID.match(patient_id)
            and isinstance(patient, dict)
            and isinstance(patient.get("id"), str)
            and _FHIR_ID.match(patient["id"])
        ):
            patient["id"] = patient_id
    return body
