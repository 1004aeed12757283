"""Calling a running pannet-cds service for each demo patient, as an EHR would with no prefetch:
the service fetches the record from the FHIR server named in the call."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from cds_service.sandbox.patients import DemoPatient, SandboxError

ASSESSMENT_EXTENSION = "org.pannet-cds.assessment"
TIMEOUT_S = 30.0
TOKEN_LIFETIME_S = 300


@dataclass(frozen=True)
class ClientKey:
    """A CDS client identity that signs each call (CDS Hooks 2.0 "Trusting CDS Clients")."""

    issuer: str
    private_key: Any
    kid: str | None = None

    @classmethod
    def from_pem(cls, path: Path, issuer: str, kid: str | None = None) -> ClientKey:
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise SandboxError(f"{path}: not a readable unencrypted PEM private key") from exc
        return cls(issuer, key, kid)

    def algorithm(self) -> str:
        if isinstance(self.private_key, ec.EllipticCurvePrivateKey):
            return {256: "ES256", 384: "ES384", 521: "ES512"}[self.private_key.curve.key_size]
        if isinstance(self.private_key, rsa.RSAPrivateKey):
            return "RS384"
        if isinstance(self.private_key, ed25519.Ed25519PrivateKey):
            return "EdDSA"
        raise SandboxError("the private key must be EC, RSA or Ed25519")

    def mint(self, audience: str) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": self.issuer,
            "aud": audience,
            "iat": now,
            "exp": now + TOKEN_LIFETIME_S,
            "jti": str(uuid.uuid4()),
        }
        headers = {"typ": "JWT", **({"kid": self.kid} if self.kid else {})}
        return jwt.encode(claims, self.private_key, algorithm=self.algorithm(), headers=headers)


@dataclass(frozen=True)
class CheckRow:
    patient: str
    status: int
    tier: str
    cards: int
    summary: str


def find_service(service_url: str, hook: str, session: requests.Session) -> str:
    """The id of the service for `hook` in the discovery at `{service_url}/cds-services`."""
    response = session.get(f"{service_url}/cds-services", timeout=TIMEOUT_S)
    if response.status_code != 200:
        raise SandboxError(f"GET {service_url}/cds-services answered HTTP {response.status_code}")
    for service in response.json().get("services") or []:
        if service.get("hook") == hook:
            return str(service["id"])
    raise SandboxError(f"{service_url}/cds-services lists no service for hook {hook!r}")


def _row(patient: DemoPatient, response: requests.Response) -> CheckRow:
    if response.status_code != 200:
        try:
            issue = response.json()["issue"][0]["diagnostics"]
        except (ValueError, KeyError, IndexError, TypeError):
            issue = response.text[:100]
        return CheckRow(patient.patient_id, response.status_code, "-", 0, str(issue)[:100])
    cards = response.json().get("cards") or []
    tier = "no card"
    if cards:
        assessment = (cards[0].get("extension") or {}).get(ASSESSMENT_EXTENSION) or {}
        overall = assessment.get("overall_tier")
        tier = overall or "undecided: " + "/".join(assessment.get("possible_tiers") or [])
    summary = cards[0].get("summary", "") if cards else ""
    return CheckRow(patient.patient_id, 200, tier, len(cards), summary)


def check_patients(
    service_url: str,
    fhir_server: str,
    patients: list[DemoPatient],
    *,
    hook: str = "patient-view",
    client_key: ClientKey | None = None,
    session: requests.Session | None = None,
) -> list[CheckRow]:
    """One hook call per patient; a service with JWT verification on needs `client_key`."""
    service_url = service_url.rstrip("/")
    http = session or requests.Session()
    service_id = find_service(service_url, hook, http)
    url = f"{service_url}/cds-services/{service_id}"
    rows = []
    for patient in patients:
        body = {
            "hook": hook,
            "hookInstance": str(uuid.uuid4()),
            "fhirServer": fhir_server.rstrip("/"),
            "context": {"userId": "Practitioner/pannet-demo", "patientId": patient.patient_id},
        }
        headers = {"Content-Type": "application/json"}
        if client_key is not None:
            headers["Authorization"] = f"Bearer {client_key.mint(url)}"
        response = http.post(url, json=body, headers=headers, timeout=TIMEOUT_S)
        rows.append(_row(patient, response))
    return rows


def format_table(rows: list[CheckRow]) -> str:
    header = ("patient", "HTTP", "tier", "cards", "summary")
    cells = [header, *((r.patient, str(r.status), r.tier, str(r.cards), r.summary) for r in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header) - 1)]
    lines = []
    for row in cells:
        fixed = "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=False))
        lines.append(f"{fixed}  {row[-1]}".rstrip())
    return "\n".join(lines)
