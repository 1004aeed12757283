"""The work floor: the work a clinical answer cannot skip, and nothing else.

Per call, with pannet-cds's own components (not re-implementations):
- the ES384 client JWT checked by `cds_service.auth`'s verifier and JWKS cache, built from the
  same environment (`PANNET_CDS_TRUSTED_ISSUERS`) by `verifier_from_environ`;
- every prefetched resource validated with its `fhir.resources.R4B` model;
- the `jti` and one audit record (of a real assessment's size) written to the same database
  (`PANNET_CDS_DATABASE_URL`) in one transaction, as pannet-cds does;
then a fixed card. Served by the same gunicorn configuration (`cds_service.server`).

    python -m bench.work_floor_app PORT WORKERS
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, date, datetime

from fhir.resources.R4B import get_fhir_model_class
from flask import Flask, Response, request
from gunicorn.app.base import BaseApplication
from sqlalchemy import Connection

import cds_service.feedback.tables  # noqa: F401 - the same schema as pannet-cds
from cds_service.audit.records import AuditCard, AuditRecord, audit_record
from cds_service.audit.store import write_audit
from cds_service.auth.errors import AuthenticationError
from cds_service.auth.setup import verifier_from_environ
from cds_service.db import create_schema, in_transaction, make_engine
from cds_service.sandbox.patients import demo_patients
from cds_service.scoring_pipeline import assess_payload
from cds_service.server import server_options, settle_worker
from cds_service.settings import Settings
from scoring.site_config import DEFAULT_SITE_CONFIG

CARD_UUID = "7d3b9c1e-2f4a-4b5c-8d6e-9f0a1b2c3d4e"
CARD = {
    "cards": [
        {
            "uuid": CARD_UUID,
            "summary": "Recurrence risk: intermediate",
            "indicator": "warning",
            "source": {"label": "work floor"},
        }
    ]
}


def _template_record() -> AuditRecord:
    """An audit record of a real assessment (demo patient 1), so the row written per call is
    as large as pannet-cds's."""
    patient = demo_patients()[0]
    assessment = assess_payload(patient.bundle, today=date.today())
    return audit_record(
        recorded_at=datetime.now(UTC),
        service_id="work-floor",
        hook="patient-view",
        hook_instance="template",
        patient_ref=f"Patient/{patient.patient_id}",
        assessment=assessment,
        site=DEFAULT_SITE_CONFIG,
        cards=[AuditCard(uuid=CARD_UUID, indicator="warning", summary="floor")],
    )


def _prefetched_resources(prefetch: object) -> list[dict]:
    resources: list[dict] = []
    if not isinstance(prefetch, dict):
        return resources
    for value in prefetch.values():
        if not isinstance(value, dict):
            continue
        if value.get("resourceType") == "Bundle":
            for entry in value.get("entry") or []:
                if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
                    resources.append(entry["resource"])
        else:
            resources.append(value)
    return resources


def create_work_floor_app() -> Flask:
    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    create_schema(engine)
    verifier = verifier_from_environ(engine, environ=os.environ)
    if verifier is None:
        raise SystemExit("the work floor verifies JWTs: set PANNET_CDS_TRUSTED_ISSUERS")
    template = _template_record()
    app = Flask(__name__)

    @app.post("/cds-services/<service_id>")
    def call(service_id: str) -> Response:
        try:
            client = verifier.verify(
                request.headers.get("Authorization"), request.base_url, record_jti=False
            )
        except AuthenticationError:
            return Response(status=401)
        body = json.loads(request.get_data(cache=False))
        if not isinstance(body, dict) or not isinstance(body.get("hookInstance"), str):
            return Response("bad", status=400)
        for resource in _prefetched_resources(body.get("prefetch")):
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        record = template.model_copy(
            update={
                "recorded_at": datetime.now(UTC),
                "service_id": service_id,
                "hook_instance": body["hookInstance"],
            }
        )

        def writes(connection: Connection) -> None:
            verifier.record_jti(client, connection)
            write_audit(engine, record, connection)

        try:
            in_transaction(engine, writes)
        except AuthenticationError:
            return Response(status=401)
        return app.response_class(json.dumps(CARD), mimetype="application/json")

    @app.get("/healthz")
    def healthz() -> Response:
        return app.response_class('{"status":"ok"}', mimetype="application/json")

    return app


def _warm_up() -> None:
    # As pannet-cds's workers do: load the FHIR model classes before the first call.
    for patient in demo_patients():
        for entry in patient.bundle["entry"]:
            resource = entry["resource"]
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def _post_worker_init(_worker: object) -> None:
    _warm_up()
    settle_worker()  # as pannet-cds's workers do after their warm-up


class _WorkFloor(BaseApplication):
    def __init__(self, options: dict[str, object]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return create_work_floor_app()


if __name__ == "__main__":
    port, workers = int(sys.argv[1]), int(sys.argv[2])
    options = server_options(Settings.from_env(), host="127.0.0.1", port=port, workers=workers)
    options.pop("child_exit")  # no metrics here
    options["post_worker_init"] = _post_worker_init
    _WorkFloor(options).run()
