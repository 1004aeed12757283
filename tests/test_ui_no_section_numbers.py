"""What a clinician reads (cards, the assessment's labels and notes) never cites a section
number of the project's specifications ("§3.1", "clinical.md §4"): it says the thing in words."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from cds_service.scoring_pipeline import assess_resources
from tests.app_fixtures import build_signed_client
from tests.support.cds_calls import (
    SERVICE_IDS,
    case_resources,
    pathology_report,
    prefetch_for,
    request_body,
)

CASES = ["p01", "p02", "p03", "p04"]
SECTION_REFERENCE = re.compile(r"§|clinical\.md|cds-api\.md")


@pytest.fixture(scope="module")
def cds(tmp_path_factory):
    return build_signed_client(tmp_path_factory.mktemp("cds"))


@pytest.mark.parametrize("case", CASES)
def test_cards_cite_no_section_numbers(cds, case):
    # the sign-off hook always shows its card, so every part of it is rendered
    resources = case_resources(case)
    observations = [r for r in resources if r["resourceType"] == "Observation"]
    body = request_body(
        "pathology",
        case,
        prefetch=prefetch_for(resources),
        diagnosticReport=pathology_report(case, observations),
    )
    response = cds.post(f"/cds-services/{SERVICE_IDS['pathology']}", body)
    assert response.status_code == 200, response.get_data(as_text=True)
    cards = response.get_json()["cards"]
    assert cards
    text = json.dumps(cards, ensure_ascii=False)
    assert "WHO grade" in text
    assert not SECTION_REFERENCE.search(text), SECTION_REFERENCE.search(text)


def test_grade_label_says_what_it_is_made_of():
    assessment = assess_resources(case_resources("p01"), today=date(2026, 11, 21))
    grade = next(i for i in assessment.inputs if i.id == "who_grade")
    assert grade.label == "WHO grade (reported, or from Ki-67 and mitoses)"
