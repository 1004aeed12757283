"""Imaging events (abdominal CT/MRI ordered or done) and the shared synthetic cases."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from test_mappers_factories import LOINC, cc, record

from fhir_mappers.payload import resources_from_payload
from fhir_mappers.record import inputs_from_resources
from scoring.inputs import Grade, ImagingState, PrimarySite, Sex

# the copies in tests/data/cases: CI has no /work/shared
CASES = Path(__file__).parent / "data" / "cases"


def service_request(sid, code, status="active", **extra):
    base = {
        "resourceType": "ServiceRequest",
        "id": sid,
        "status": status,
        "intent": "order",
        "code": code,
        "subject": {"reference": "Patient/pt"},
        "authoredOn": "2024-08-01",
    }
    return base | extra


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("active", ImagingState.ORDERED),
        ("draft", ImagingState.ORDERED),
        ("on-hold", ImagingState.ORDERED),
        ("completed", ImagingState.DONE),
        ("revoked", None),
        ("entered-in-error", None),
    ],
)
def test_service_request_states(status, state):
    events = record(service_request("sr", cc(LOINC, "79103-8"), status)).imaging
    assert [e.state for e in events] == ([state] if state else [])


def test_service_request_date_prefers_occurrence():
    sr = service_request(
        "sr", cc(LOINC, "24557-1"), occurrencePeriod={"start": "2024-09-01", "end": "2024-10-01"}
    )
    (event,) = record(sr).imaging
    assert (event.when, event.modality, event.source) == (
        date(2024, 9, 1),
        "MRI",
        "ServiceRequest/sr",
    )
    (event,) = record(service_request("sr", cc(LOINC, "24557-1"))).imaging
    assert event.when == date(2024, 8, 1)


def test_text_coded_orders_and_non_abdominal_imaging():
    ct = service_request("ct", cc(text="CT abdomen and pelvis with contrast"))
    chest = service_request("chest", cc(text="CT chest"))
    pet = service_request("pet", cc(text="Ga-68 DOTATATE PET/CT abdomen"))
    events = record(ct, chest, pet).imaging
    assert [e.source for e in events] == ["ServiceRequest/ct"]


def test_imaging_study_and_report_and_procedure():
    study = {
        "resourceType": "ImagingStudy",
        "id": "is",
        "status": "available",
        "subject": {"reference": "Patient/pt"},
        "started": "2024-09-10T10:00:00Z",
        "modality": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "MR"}],
        "description": "MRI abdomen (liver protocol)",
    }
    cancelled = study | {"id": "is2", "status": "cancelled"}
    report = {
        "resourceType": "DiagnosticReport",
        "id": "dr",
        "status": "final",
        "code": cc(LOINC, "36813-4"),
        "subject": {"reference": "Patient/pt"},
        "effectiveDateTime": "2024-10-01",
    }
    prelim = report | {"id": "dr2", "status": "preliminary"}
    proc = {
        "resourceType": "Procedure",
        "id": "p",
        "status": "completed",
        "code": cc(text="CT abdomen"),
        "subject": {"reference": "Patient/pt"},
        "performedDateTime": "2024-11-01",
    }
    events = record(study, cancelled, report, prelim, proc).imaging
    assert [(e.source, e.state, e.modality) for e in events] == [
        ("ImagingStudy/is", ImagingState.DONE, "MRI"),
        ("DiagnosticReport/dr", ImagingState.DONE, "CT"),
        ("Procedure/p", ImagingState.DONE, "CT"),
    ]


def test_undated_order_is_noted_not_counted():
    sr = service_request("sr", cc(LOINC, "79103-8"))
    del sr["authoredOn"]
    out = record(sr)
    assert out.imaging == () and any("without a date" in w for w in out.warnings)


def _case(name):
    payload = json.loads((CASES / f"{name}.bundle.json").read_text())
    return inputs_from_resources(resources_from_payload(payload))


def test_case_p01():
    out = _case("p01")
    assert out.sex.value == Sex.MALE and out.tumor_size_cm.value == 2.6
    assert out.grade_reported.value == Grade.G2 and out.ki67_percent.value == 6.0
    assert out.lymphovascular_invasion.value is False
    assert (out.nodes_examined.value, out.nodes_positive.value) == (14, 0)
    assert out.symptomatic.value is None and out.functional.value is None
    assert out.primary_site.value == PrimarySite.PANCREAS
    assert out.diagnosis == "Condition/p01-dx"
    assert out.resection.performed == date(2024, 3, 4)
    assert out.resection.source == "Procedure/p01-surgery"
    assert out.warnings == ()


def test_case_p02():
    out = _case("p02")
    assert out.sex.value == Sex.FEMALE and out.tumor_size_cm.value == pytest.approx(1.2)
    assert out.grade_reported.value == Grade.G1 and out.ki67_percent.value == 1.0
    assert (out.nodes_examined.value, out.nodes_positive.value) == (9, 0)


def test_case_p03():
    out = _case("p03")
    assert out.tumor_size_cm.value == 5.0 and out.ki67_percent.value == 35.0
    assert out.grade_reported.value is None
    assert out.lymphovascular_invasion.value is True
    assert (out.nodes_examined.value, out.nodes_positive.value) == (18, 4)


def test_case_p04_missing_ki67_stays_unknown():
    out = _case("p04")
    assert out.ki67_percent.value is None and out.ki67_percent.sources == ()
    assert out.tumor_size_cm.value == 2.4 and out.sex.value == Sex.MALE
    assert out.lymphovascular_invasion.value is True


def test_cases_every_fact_names_its_source():
    for name in ("p01", "p02", "p03", "p04"):
        out = _case(name)
        for fact in (out.sex, out.tumor_size_cm, out.ki67_percent, out.nodes_positive):
            if fact.value is not None:
                assert fact.sources and all("/" in s for s in fact.sources)


def test_each_resource_is_validated_once(monkeypatch):
    from fhir_mappers import index as index_module

    calls = []
    real = index_module.get_fhir_model_class

    def counting(name):
        model = real(name)

        class Counting:
            @staticmethod
            def model_validate(raw):
                calls.append(raw.get("id"))
                return model.model_validate(raw)

        return Counting

    monkeypatch.setattr(index_module, "get_fhir_model_class", counting)
    _case("p01")
    assert len(calls) == len(set(calls))
