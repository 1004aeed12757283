"""Pathology sign-off with the report's text only: the same tier as the same facts sent as
Observations, every text-derived value marked on the card with its phrase (issue 10)."""

from __future__ import annotations

import base64

import pytest
from report_text_support import pdf_bytes

from tests.app_fixtures import build_signed_client
from tests.support.cds_calls import (
    SERVICE_IDS,
    case_resources,
    pathology_report,
    prefetch_for,
    request_body,
)

# The facts of shared case p01 (2.6 cm, intermediate grade, Ki-67 6 %, LVI not seen, 0/14 nodes)
# written as a CAP-style synoptic report.
P01_SYNOPTIC = """FINAL DIAGNOSIS:
Pancreas, distal pancreatectomy: well-differentiated neuroendocrine tumor.
Procedure: Distal pancreatectomy
Tumor Size: Greatest dimension: 2.6 cm
Histologic Grade: G2
Ki-67 Labeling Index: 6 %
Lymphovascular Invasion: Not identified
Number of Lymph Nodes Examined: 14
Number of Lymph Nodes Involved: 0
"""
MARK = "read from the report text — confirm"


@pytest.fixture
def cds(tmp_path):
    return build_signed_client(tmp_path)


def _text_report(data: bytes, content_type: str) -> dict:
    return {
        "resourceType": "DiagnosticReport",
        "id": "p01-path-text",
        "status": "final",
        "code": {"text": "Surgical pathology report"},
        "subject": {"reference": "Patient/p01"},
        "effectiveDateTime": "2024-03-04",
        "presentedForm": [{"contentType": content_type, "data": base64.b64encode(data).decode()}],
    }


def _card(cds, prefetch, report):
    body = request_body("pathology", "p01", prefetch=prefetch, diagnosticReport=report)
    response = cds.post(f"/cds-services/{SERVICE_IDS['pathology']}", body)
    assert response.status_code == 200, response.get_json()
    cards = response.get_json()["cards"]
    assert len(cards) == 1
    return cards[0]


@pytest.mark.parametrize(
    "data, content_type",
    [(P01_SYNOPTIC.encode(), "text/plain"), (pdf_bytes(P01_SYNOPTIC), "application/pdf")],
    ids=["synoptic", "pdf"],
)
def test_report_text_gives_the_same_tier_as_observations(cds, data, content_type):
    resources = case_resources("p01")
    observations = [r for r in resources if r["resourceType"] == "Observation"]
    others = [r for r in resources if r["resourceType"] != "Observation"]
    discrete = _card(cds, prefetch_for(others), pathology_report("p01", observations))
    from_text = _card(cds, prefetch_for(others), _text_report(data, content_type))
    a_discrete = discrete["extension"]["org.pannet-cds.assessment"]
    a_text = from_text["extension"]["org.pannet-cds.assessment"]
    assert a_text["overall_tier"] == a_discrete["overall_tier"] == "intermediate"
    assert a_text["possible_tiers"] == a_discrete["possible_tiers"]
    read = {i["id"]: i for i in a_text["inputs"] if i["read_from_text"]}
    assert {"tumor_size_cm", "ki67_percent", "lymphovascular_invasion", "nodes_examined"} <= set(
        read
    )
    assert read["ki67_percent"]["quote"] == "Ki-67 Labeling Index: 6 %"
    assert MARK in from_text["detail"]
    assert "Ki-67 Labeling Index: 6 %" in from_text["detail"]
    assert MARK not in discrete["detail"]


def test_report_alone_gives_an_assessment_card(cds):
    patient = next(r for r in case_resources("p01") if r["resourceType"] == "Patient")
    card = _card(cds, prefetch_for([patient]), _text_report(P01_SYNOPTIC.encode(), "text/plain"))
    assessment = card["extension"]["org.pannet-cds.assessment"]
    assert assessment["in_scope"] is True
    assert "intermediate" in assessment["possible_tiers"]
    assert any("diagnosis read from the report text" in w for w in assessment["warnings"])
    assert MARK in card["detail"]


def test_text_and_observation_disagreeing_use_the_worse_value_and_say_so(cds):
    resources = case_resources("p01")
    others = [r for r in resources if r["resourceType"] != "Observation"]
    ki67 = next(
        r for r in resources if r["resourceType"] == "Observation" and "Ki-67" in str(r["code"])
    )
    report = _text_report(P01_SYNOPTIC.replace("6 %", "25 %").encode(), "text/plain")
    card = _card(cds, prefetch_for([*others, ki67]), report)
    inputs = {i["id"]: i for i in card["extension"]["org.pannet-cds.assessment"]["inputs"]}
    assert inputs["ki67_percent"]["value"] == 25.0
    assert inputs["ki67_percent"]["text_disagreement"]
    assert "disagree" in card["detail"]
