"""Small builders of FHIR R4 JSON for the mapper tests (no tests in this module)."""

from __future__ import annotations

from typing import Any

from fhir_mappers.payload import resources_from_payload
from fhir_mappers.record import inputs_from_resources
from scoring.inputs import ClinicalInputs

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
CPT = "http://www.ama-assn.org/go/cpt"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
SURGERY_DAY = "2024-03-04"

Json = dict[str, Any]


def cc(
    system: str | None = None,
    code: str | None = None,
    text: str | None = None,
    display: str | None = None,
) -> Json:
    out: Json = {}
    if code is not None:
        coding: Json = {"code": code}
        if system:
            coding["system"] = system
        if display:
            coding["display"] = display
        out["coding"] = [coding]
    if text is not None:
        out["text"] = text
    return out


def qty(
    value: float | int | None,
    unit: str | None = None,
    *,
    comparator: str | None = None,
    ucum: bool = True,
) -> Json:
    out: Json = {}
    if value is not None:
        out["value"] = value
    if unit is not None:
        out["unit"] = unit
        if ucum:
            out["system"] = UCUM
            out["code"] = unit
    if comparator:
        out["comparator"] = comparator
    return out


def patient(gender: str | None = "female", pid: str = "pt") -> Json:
    out: Json = {"resourceType": "Patient", "id": pid}
    if gender is not None:
        out["gender"] = gender
    return out


def obs(
    oid: str,
    code: Json,
    *,
    status: str = "final",
    when: str | None = "2024-03-08",
    subject: str = "Patient/pt",
    **value: Any,
) -> Json:
    out: Json = {
        "resourceType": "Observation",
        "id": oid,
        "status": status,
        "code": code,
        "subject": {"reference": subject},
    }
    if when is not None:
        out["effectiveDateTime"] = when
    out.update(value)
    return out


def loinc_obs(oid: str, loinc: str, **kw: Any) -> Json:
    return obs(oid, cc(LOINC, loinc), **kw)


def condition(
    cid: str,
    code: Json,
    *,
    onset: str | None = "2024-01-20",
    verification: str | None = "confirmed",
    **extra: Any,
) -> Json:
    out: Json = {
        "resourceType": "Condition",
        "id": cid,
        "code": code,
        "subject": {"reference": "Patient/pt"},
    }
    if onset is not None:
        out["onsetDateTime"] = onset
    if verification is not None:
        out["verificationStatus"] = cc(
            "http://terminology.hl7.org/CodeSystem/condition-ver-status", verification
        )
    out.update(extra)
    return out


def diagnosis(cid: str = "dx", icd: str = "C25.4", **kw: Any) -> Json:
    return condition(cid, cc(ICD10, icd, text="neuroendocrine tumour"), **kw)


def procedure(
    pid: str = "surgery",
    code: Json | None = None,
    *,
    status: str = "completed",
    performed: str | None = SURGERY_DAY,
    **extra: Any,
) -> Json:
    out: Json = {
        "resourceType": "Procedure",
        "id": pid,
        "status": status,
        "code": code or cc(CPT, "48140", text="Pancreatectomy, distal subtotal"),
        "subject": {"reference": "Patient/pt"},
    }
    if performed is not None:
        out["performedDateTime"] = performed
    out.update(extra)
    return out


def bundle(*resources: Json, btype: str = "collection") -> Json:
    return {
        "resourceType": "Bundle",
        "id": "b",
        "type": btype,
        "entry": [{"fullUrl": f"urn:uuid:{i}", "resource": r} for i, r in enumerate(resources)],
    }


def record(
    *resources: Json, with_surgery: bool = True, gender: str | None = "female"
) -> ClinicalInputs:
    """Map a Patient (+ a completed resection on SURGERY_DAY) + `resources` via a Bundle."""
    base = [patient(gender)] + ([procedure()] if with_surgery else [])
    return inputs_from_resources(resources_from_payload(bundle(*base, *resources)))
