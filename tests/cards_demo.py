"""The card of every shipped demo patient and every real-world corpus case, built by the same
path a hook call takes (record → inputs → assessment → card), for the tests that read them as a
clinician would. Run as a script to print them: `python -m tests.cards_demo [names...]`."""

from __future__ import annotations

import sys
from datetime import date

from cds_service.cards.builder import build_assessment_card
from cds_service.cards.models import Card
from cds_service.sandbox.patients import demo_patients
from cds_service.scoring_pipeline import assess_payload
from scoring.assessment import Assessment
from tests.support.realworld import CASES, load_bundle_of

# The day the demo's surveillance is read on (fixed, so overdue wording is reproducible).
TODAY = date(2026, 12, 1)
CARD_UUID = "4e0a3a1e-3283-4575-ab82-028d55fe2719"


def card_for(assessment: Assessment) -> Card:
    return build_assessment_card(
        assessment,
        service_id="pannet-patient-view",
        ct_orders=[],
        mri_orders=[],
        smart_launch_url="https://cds.example.org/smart/launch",
        absolute_url="https://cds.example.org/app/assessment",
        app_context="{}",
        card_uuid=CARD_UUID,
    )


def demo_assessments(today: date = TODAY) -> dict[str, Assessment]:
    return {p.name: assess_payload(p.bundle, today=today) for p in demo_patients()}


def corpus_assessments(today: date = TODAY) -> dict[str, Assessment]:
    return {case: assess_payload(load_bundle_of(case), today=today) for case in CASES}


def main(names: list[str]) -> None:
    everything = {**demo_assessments(), **corpus_assessments()}
    for name, assessment in everything.items():
        if names and name not in names:
            continue
        card = card_for(assessment)
        print(f"==== {name} [{card.indicator}] {card.summary}\n{card.detail}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
