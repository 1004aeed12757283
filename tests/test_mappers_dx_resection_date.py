"""The resection date: a date after today is warned about and shown on the card (issue 12),
and without a Procedure the resection report supplies it (issue 9): specimen collection, else
the report's effective date, else its issue date with a warning."""

from __future__ import annotations

from datetime import date

from cards_factories import card_args
from test_mappers_factories import LOINC, cc, diagnosis, patient, procedure

from cds_service.cards.builder import build_assessment_card
from cds_service.cards.policy import HookKind, should_show_card
from fhir_mappers.record import inputs_from_resources
from scoring.assess import assess

TODAY = date(2026, 12, 1)


def test_future_resection_date_is_warned_and_the_card_still_shows():
    inputs = inputs_from_resources([patient(), diagnosis(), procedure(performed="2027-05-01")])
    assessment = assess(inputs, today=TODAY)
    warning = next(w for w in assessment.warnings if "after today" in w)
    assert warning.startswith("Procedure/surgery: resection date 2027-05-01 is after today")
    assert assessment.surveillance is not None and assessment.surveillance.anchor_date is None
    assert should_show_card(HookKind.PATIENT_VIEW, assessment) is True
    card = build_assessment_card(assessment, **card_args())
    assert "2027-05-01 is after today" in card.detail
    resection = next(i for i in assessment.inputs if i.id == "resection")
    assert "after today" in (resection.note or "")


def test_past_resection_date_is_not_warned():
    inputs = inputs_from_resources([patient(), diagnosis(), procedure()])
    assessment = assess(inputs, today=TODAY)
    assert not any("after today" in w for w in assessment.warnings)
    assert assessment.surveillance.anchor_date == "2024-03-04"


def _report(**dates) -> dict:
    return {
        "resourceType": "DiagnosticReport",
        "id": "patho",
        "status": "final",
        "code": cc(LOINC, "60567-5", text="Pathology synoptic report, distal pancreatectomy"),
        "subject": {"reference": "Patient/pt"},
        **dates,
    }


def _resection(*resources):
    return inputs_from_resources([patient(), diagnosis(), *resources])


def test_report_stands_in_with_its_effective_date():
    out = _resection(
        _report(effectiveDateTime="2024-03-04T10:00:00Z", issued="2024-03-09T08:00:00Z")
    )
    assert (out.resection.source, out.resection.performed) == (
        "DiagnosticReport/patho",
        date(2024, 3, 4),
    )
    assert any("report's effective date" in w for w in out.warnings)


def test_report_issue_date_is_the_last_resort_with_a_warning():
    out = _resection(_report(issued="2024-03-09T08:00:00Z"))
    assert out.resection.performed == date(2024, 3, 9)
    assert any("issue date 2024-03-09; the surgery was on or before it" in w for w in out.warnings)


def test_specimen_collection_date_wins():
    specimen = {
        "resourceType": "Specimen",
        "id": "sp",
        "subject": {"reference": "Patient/pt"},
        "type": cc(text="Pancreas, distal pancreatectomy specimen"),
        "collection": {"collectedDateTime": "2024-03-03"},
    }
    report = _report(effectiveDateTime="2024-03-04", specimen=[{"reference": "Specimen/sp"}])
    out = _resection(specimen, report)
    assert out.resection.performed == date(2024, 3, 3)
    assert not any("report's" in w for w in out.warnings)


def test_undated_report_gives_no_date_and_says_so():
    out = _resection(_report())
    assert out.resection.performed is None
    assert any("resection report without any date" in w for w in out.warnings)


def test_undated_procedure_takes_the_date_of_the_resection_report():
    out = _resection(procedure(performed=None), _report(effectiveDateTime="2024-03-04"))
    assert out.resection.source == "Procedure/surgery"
    assert out.resection.performed == date(2024, 3, 4)
    assert "date from DiagnosticReport/patho" in out.resection.description
    assert any("2024-03-04 taken from DiagnosticReport/patho" in w for w in out.warnings)
