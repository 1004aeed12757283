"""Cards for a patient with distant metastasis at surgery or a recurrence on record
(clinical.md §1): no tier, no surveillance suggestion or order, the reason with its source once;
shown at pathology sign-off, silent on chart open."""

from __future__ import annotations

from datetime import date

import pytest
from cards_factories import card_args
from test_mappers_factories import ICD10, LOINC, SNOMED, cc, condition, diagnosis, obs, record

from cds_service.cards.builder import build_assessment_card
from cds_service.cards.indicator import choose_indicator
from cds_service.cards.policy import HookKind, should_show_card
from cds_service.suggested_orders import suggested_orders
from scoring.assess import assess

TODAY = date(2026, 12, 1)
CASES = {
    "recurrence": (
        obs(
            "ds",
            cc(LOINC, "97509-4"),
            when="2025-06-01",
            valueCodeableConcept=cc(SNOMED, "271299001"),
        ),
        "recurrence on record",
        "Observation/ds",
    ),
    "metastatic-at-surgery": (
        condition("met", cc(ICD10, "C7B.02"), onset="2024-02-01"),
        "distant metastasis present at surgery",
        "Condition/met",
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_out_of_scope_card_names_reason_and_source_once(name):
    resource, reason, source = CASES[name]
    assessment = assess(record(diagnosis(), resource), today=TODAY)
    assert (assessment.overall_tier, assessment.possible_tiers, assessment.scores) == (None, [], [])
    assert suggested_orders(assessment, "pt") == {}
    card = build_assessment_card(assessment, **card_args())
    assert card.suggestions is None
    assert reason in card.detail
    assert card.detail.count(source) == 1
    assert "tier" not in card.summary.lower()
    assert choose_indicator(assessment).value == "info"
    assert should_show_card(HookKind.PATHOLOGY_SIGN, assessment) is True
    assert should_show_card(HookKind.PATIENT_VIEW, assessment) is False
