"""Metastasis statements in a pathology report that must not put a patient out of scope: a
negation over a list of sites, a question, and a CAP item answered "not applicable". Reading any
of them as metastasis would silence the patient's surveillance (clinical.md §1, §3.3). Each is
tried as the report's conclusion and as its text/plain presentedForm, for a resected NET."""

from __future__ import annotations

import base64

import pytest

from fhir_mappers.record import inputs_from_resources

PATIENT = {"resourceType": "Patient", "id": "pt", "gender": "female"}
SURGERY = {
    "resourceType": "Procedure",
    "id": "s",
    "status": "completed",
    "subject": {"reference": "Patient/pt"},
    "code": {"text": "Distal pancreatectomy"},
    "performedDateTime": "2024-01-10",
}
DIAGNOSIS = {
    "resourceType": "Condition",
    "id": "d",
    "subject": {"reference": "Patient/pt"},
    "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C25.4"}]},
    "onsetDateTime": "2023-12-01",
}


def pathology_report(text: str, *, as_form: bool) -> dict:
    report = {
        "resourceType": "DiagnosticReport",
        "id": "r",
        "status": "final",
        "subject": {"reference": "Patient/pt"},
        "category": [
            {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "SP"}]}
        ],
        "code": {"text": "Surgical pathology report"},
        "effectiveDateTime": "2024-01-10",
    }
    if as_form:
        data = base64.b64encode(text.encode()).decode()
        report["presentedForm"] = [{"contentType": "text/plain", "data": data}]
    else:
        report["conclusion"] = text
    return report


@pytest.mark.parametrize("as_form", [False, True], ids=["conclusion", "presentedForm"])
@pytest.mark.parametrize(
    "text",
    [
        "no liver, lung or bone metastases",
        "No evidence of liver, lung or peritoneal metastases.",
        "liver metastases?",
        "Distant Metastasis (pM): Not applicable - pM cannot be determined from the submitted "
        "specimen(s)",
    ],
)
def test_not_read_as_metastasis_at_surgery(text, as_form):
    inputs = inputs_from_resources(
        [PATIENT, SURGERY, DIAGNOSIS, pathology_report(text, as_form=as_form)]
    )
    assert inputs.metastatic_at_surgery.value is not True
    assert inputs.recurrence.value is not True


@pytest.mark.parametrize("as_form", [False, True], ids=["conclusion", "presentedForm"])
def test_a_stated_liver_metastasis_is_still_read(as_form):
    report = pathology_report("Multiple liver metastases are present.", as_form=as_form)
    inputs = inputs_from_resources([PATIENT, SURGERY, DIAGNOSIS, report])
    assert inputs.metastatic_at_surgery.value is True
    assert inputs.metastatic_at_surgery.sources == ("DiagnosticReport/r",)
