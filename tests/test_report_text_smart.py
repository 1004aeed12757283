"""The SMART app shows values read from the report text marked "read from the report text —
confirm", with the phrase escaped (issue 10), against the real FHIR server and OAuth server."""

from __future__ import annotations

import base64
import copy
import json

import pytest

from tests.smart_fixtures import CASES, live_app, walk_launch
from tests.support.fhir_load import load_bundle

pytestmark = pytest.mark.e2e

REPORT_TEXT = (
    "FINAL DIAGNOSIS:\nPancreas, distal pancreatectomy: well-differentiated neuroendocrine tumor.\n"
    "Tumor Size: Greatest dimension: 2.6 cm\nKi-67 Labeling Index: 6 % <b>hot spot</b>\n"
)


@pytest.fixture(scope="module")
def patient(fhir_server) -> str:
    bundle = json.loads((CASES / "p01.bundle.json").read_text())
    renamed = copy.deepcopy(bundle)
    renamed["entry"] = [
        e for e in renamed["entry"] if e["resource"]["resourceType"] != "Observation"
    ]
    text = json.dumps(renamed).replace("p01", "textsmart-p01")
    renamed = json.loads(text)
    renamed["entry"].append(
        {
            "resource": {
                "resourceType": "DiagnosticReport",
                "id": "textsmart-report",
                "status": "final",
                "code": {"text": "Surgical pathology report"},
                "subject": {"reference": "Patient/textsmart-p01"},
                "effectiveDateTime": "2024-03-04",
                "presentedForm": [
                    {
                        "contentType": "text/plain",
                        "data": base64.b64encode(REPORT_TEXT.encode()).decode(),
                    }
                ],
            }
        }
    )
    load_bundle(fhir_server.base_url, renamed)
    return "textsmart-p01"


@pytest.fixture(scope="module")
def live(ehr, tmp_path_factory):
    with live_app(tmp_path_factory.mktemp("smart-text"), ehr) as server:
        yield server


def test_page_marks_text_values_and_escapes_the_phrase(live, ehr, patient):
    _, page = walk_launch(live.url, ehr, ehr.new_launch(patient))
    assert page.status_code == 200, page.text[:2000]
    text = page.text
    assert "read from the report text — confirm" in text
    assert "Tumor Size: Greatest dimension: 2.6 cm" in text
    assert "Ki-67 Labeling Index: 6 % &lt;b&gt;hot spot&lt;/b&gt;" in text
    assert "<b>hot spot</b>" not in text
