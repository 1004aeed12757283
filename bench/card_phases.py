"""CPU of building one CDS card from an assessment, in one process (not part of CI):

    PYTHONPATH=. .venv/bin/python bench/card_phases.py [--rounds 200] [--runs 5] [--steps]

What `blueprints.hooks._cards` does for a shown card (suggested orders, links, the card model)
plus what the call does with it afterwards (`Card.to_wire` for the response, the issued-card
record), over the demo patients' patient-view assessments and the real-world corpus (today's
date, so the demo patients are overdue and carry orders). Prints the best of `--runs` of CPU ms
per card (`time.process_time`); `--steps` adds a split by step (each wrapped with a CPU
counter, which adds its own small cost). Run with PYTHONPATH=<another tree> to compare trees:
it uses only interfaces both have.
"""

from __future__ import annotations

import argparse
import inspect
import json
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import cds_service.card_links as card_links_module
import cds_service.cards.builder as builder
import cds_service.cards.models as models
import cds_service.suggested_orders as orders_module
from bench.cpu import count_steps
from cds_service.card_links import card_links
from cds_service.cards.builder import build_assessment_card
from cds_service.feedback.store import IssuedCard
from cds_service.sandbox.patients import demo_patients
from cds_service.scoring_pipeline import assess_payload
from cds_service.settings import Settings
from cds_service.suggested_orders import suggested_orders
from fhir_mappers.order_codes import ImagingModality
from scoring.assessment import Assessment

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "realworld"
NAMESPACE = uuid.UUID("6f1c2d0e-8a4b-4c1e-9a53-2f7d7b1c0a11")
SETTINGS = Settings(base_url="http://localhost", auth_enabled=False)

STEPS: tuple[tuple[Any, str, str], ...] = (
    (
        orders_module,
        "surveillance_orders_by_modality"
        if hasattr(orders_module, "surveillance_orders_by_modality")
        else "surveillance_orders",
        "suggested orders",
    ),
    (builder, "build_detail", "detail Markdown"),
    (builder, "build_summary", "summary"),
    # Newer trees build the card's wire dict and validate it in one Card.model_validate.
    *(
        (
            (builder, "source_wire", "source"),
            (builder, "suggestion_wires", "suggestions"),
            (builder, "link_wires", "links"),
            (models.Card, "model_validate", "Card model"),
        )
        if hasattr(builder, "suggestion_wires")
        else (
            (builder, "build_source", "source"),
            (builder, "build_suggestions", "suggestions"),
            (builder, "build_links", "links"),
            (builder, "Card", "Card model"),
        )
    ),
    (models.Card, "to_wire", "to_wire (response dict)"),
)


# As blueprints/hooks.py calls it, where the builder takes the flag (newer trees).
READY = (
    {"orders_json_ready": True}
    if "orders_json_ready" in inspect.signature(build_assessment_card).parameters
    else {}
)


# As blueprints/hooks.py makes the card uuid and the appContext text (newer trees have helpers).
_uuid5_text = getattr(builder, "uuid5_text", None)
_app_context_json = getattr(card_links_module, "app_context_json", None)


def card_uuid_of(name: str) -> str:
    if _uuid5_text is not None:
        return _uuid5_text(NAMESPACE.bytes, name)
    return str(uuid.uuid5(NAMESPACE, name))


def app_context_text(context: dict[str, str]) -> str:
    if _app_context_json is not None:
        return _app_context_json(context)
    return json.dumps(context, separators=(",", ":"))


def cases() -> list[tuple[str, Assessment]]:
    today = date.today()
    out = [(p.patient_id, assess_payload(p.bundle, today=today)) for p in demo_patients()]
    for path in sorted(CORPUS.glob("rw*.bundle.json")):
        bundle = json.loads(path.read_text())
        patient = next(
            (e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"),
            None,
        )
        assessment = assess_payload(bundle, today=today)
        if patient is not None and assessment.in_scope:
            out.append((patient["id"], assessment))
    return out


def one_card(patient_id: str, assessment: Assessment, n: int) -> dict[str, Any]:
    """`_cards` of blueprints/hooks.py for a shown card, then the response dict."""
    card_uuid = card_uuid_of(f"svc|{n}")
    hook = SimpleNamespace(context=SimpleNamespace(patient_id=patient_id), fhir_server=None)
    orders = suggested_orders(assessment, patient_id)
    links = card_links(SETTINGS, "http://localhost/", hook, card_uuid)
    card = build_assessment_card(
        assessment,
        service_id="pannet-cds-patient-view",
        ct_orders=orders.get(ImagingModality.CT, []),
        mri_orders=orders.get(ImagingModality.MRI, []),
        smart_launch_url=links.smart_launch_url,
        absolute_url=links.absolute_url,
        app_context=app_context_text(links.app_context),
        card_uuid=card_uuid,
        **READY,
    )
    IssuedCard.of(card, tier=assessment.overall_tier)
    return card.to_wire()


def run(work: list[tuple[str, Assessment]], rounds: int) -> float:
    """CPU ms per card over `rounds` passes of `work`."""
    start = time.process_time()
    for n in range(rounds):
        for patient_id, assessment in work:
            one_card(patient_id, assessment, n)
    return (time.process_time() - start) / (rounds * len(work)) * 1000


def best(work: list[tuple[str, Assessment]], rounds: int, runs: int) -> float:
    return min(run(work, rounds) for _ in range(runs))


def steps(work: list[tuple[str, Assessment]], rounds: int, wrap: Callable[..., Any]) -> None:
    spent = wrap(STEPS)
    spent.clear()
    run(work, rounds)
    cards = rounds * len(work)
    for _owner, _name, label in STEPS:
        print(f"  {label:35s} {spent[label] / cards * 1000:6.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--steps", action="store_true")
    args = parser.parse_args()
    work = cases()
    run(work, 20)  # warm-up: lazy imports, pydantic schemas
    print(
        f"card: {best(work, args.rounds, args.runs):.3f} ms CPU per card "
        f"(best of {args.runs}, {len(work)} assessments x {args.rounds})"
    )
    if args.steps:
        steps(work, args.rounds, count_steps)


if __name__ == "__main__":
    main()
