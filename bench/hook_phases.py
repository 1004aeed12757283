"""Where a hook call's CPU goes, in one process (not part of CI):

    PYTHONPATH=. .venv/bin/python -m bench.hook_phases [--calls 200] [--database-url URL]
        [--call patient-view|pathology|pathology-text]

The real app (JWT verification on, JSON logs, a fresh SQLite file unless --database-url) gets
signed calls with full prefetch through Flask's test client (patient-view over the demo
patients, or the pathology sign-off of `bench.pathology_calls`, its Observations only or with a
synoptic report and a PDF); the main steps of
`blueprints.hooks.call_service` are wrapped with a CPU-time counter (`time.process_time`, no
profiler, so Python-heavy steps are not over-weighted). Prints CPU ms per call, total and per
step; the steps nest as in the code (validation is inside "record → inputs").
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import cds_service.blueprints.hooks as hooks
import cds_service.observability.flask_ext as flask_ext
import cds_service.scoring_pipeline as pipeline
from bench.cpu import count_steps
from bench.pathology_calls import SERVICE_PATH as PATHOLOGY_PATH
from bench.pathology_calls import pathology_bodies
from bench.run import SERVICE_PATH, bodies, in_process_caller
from cds_service.app import create_app
from cds_service.server import warm_up
from cds_service.settings import Settings
from tests.support.jwt_issuer import JwtIssuer

STEPS: tuple[tuple[Any, str, str], ...] = (
    (hooks, "authenticate", "JWT verification (jti checked at commit)"),
    (hooks, "parse_hook_request", "parse the request (pydantic)"),
    (hooks, "gather_resources", "gather prefetch"),
    (pipeline, "inputs_from_resources", "record → inputs (validation + mappers)"),
    (pipeline, "assess", "scoring and surveillance plan"),
    (hooks, "suggested_orders", "suggested orders"),
    (hooks, "_cards", "card (incl. suggested orders)"),
    (flask_ext, "hook_audit_row", "audit row built"),
    (hooks, "record_assessment_call", "writes + commit (incl. audit record/row)"),
    (hooks, "jsonify", "response JSON"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--call", choices=["patient-view", "pathology", "pathology-text"], default="patient-view"
    )
    args = parser.parse_args()
    spent = count_steps(STEPS)
    work = Path(tempfile.mkdtemp(prefix="pannet-phases-"))
    issuer = JwtIssuer()
    jwks = issuer.write_jwks(work / "jwks.json")
    app = create_app(
        Settings(
            trusted_issuers_json=json.dumps({issuer.iss: str(jwks)}),
            database_url=args.database_url or f"sqlite:///{work / 'cds.sqlite3'}",
            log_format="json",
            base_url="http://localhost",
        )
    )
    sink = io.StringIO()  # the JSON log lines are formatted and written, here to memory
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sink)
    warm_up()
    client = app.test_client()
    if args.call == "patient-view":
        path, payloads = SERVICE_PATH, bodies(None)
    else:
        path = PATHOLOGY_PATH
        payloads = pathology_bodies(with_text=args.call == "pathology-text")
    tokens = [issuer.mint(aud=f"http://localhost{path}") for _ in range(args.calls + 20)]

    call = in_process_caller(client, path, payloads, tokens)

    for n in range(20):
        call(args.calls + n)
    spent.clear()
    start = time.process_time()
    for n in range(args.calls):
        call(n)
    total = time.process_time() - start
    print(
        f"{args.call}: {total / args.calls * 1000:.2f} ms CPU per call ({args.calls} calls), "
        "of which:"
    )
    for _module, _name, label in STEPS:
        print(f"  {label:45s} {spent[label] / args.calls * 1000:6.2f} ms")


if __name__ == "__main__":
    main()
