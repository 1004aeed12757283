"""The Swiss cancer-registry IG (ahdis/ch-crl, issue 9): a diagnosis recorded as an Observation
(LOINC 86255-7, ICD-10-GM value), the operation as the diagnostic method "Surgical tissue from
operation", UICC L/V/Pn in the registry's own code systems, metastases at diagnosis (98248-8,
33733-7) and the type of first recurrence (97509-4). Shapes as in the IG's examples
(input/fsh/content-until-v0.2.1/instances, content-v0.9.0-v1.0.0/dataelements).
"""

from __future__ import annotations

import pytest
from test_mappers_factories import LOINC, SNOMED, cc, obs, patient, procedure

from fhir_mappers.payload import resources_from_payload
from fhir_mappers.record import inputs_from_resources
from scoring.inputs import ClinicalInputs, PrimarySite

CS = "http://fhir.ch/ig/ch-crl/CodeSystem/"
GM_DIMDI = "http://fhir.de/CodeSystem/dimdi/icd-10-gm"
BEFORE, AFTER = "2024-02-10", "2025-08-05"  # surgery on 2024-03-04 (SURGERY_DAY)


def icd10_obs(code: str = "C25.4") -> dict:
    return obs(
        "icd10",
        cc(LOINC, "86255-7", display="Primary diagnosis ICD code"),
        when=BEFORE,
        valueCodeableConcept=cc(GM_DIMDI, code, display="Bösartige Neubildung"),
    )


def method(code: str = "26", display: str = "Surgical tissue from operation") -> dict:
    return procedure(
        "method",
        cc(CS + "nkrs-diagnosticmethodsused", code, display=display),
        reasonReference=[{"reference": "Observation/icd10"}],
    )


def mapped(*resources: dict) -> ClinicalInputs:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in (patient(), *resources)],
    }
    return inputs_from_resources(resources_from_payload(bundle))


def test_registry_diagnosis_observation_and_surgical_tissue_method():
    out = mapped(icd10_obs(), method())
    assert out.diagnosis == "Observation/icd10"
    assert out.primary_site.value is PrimarySite.PANCREAS
    assert out.resection is not None and out.resection.source == "Procedure/method"
    assert out.resection.performed.isoformat() == "2024-03-04"


def test_a_biopsy_method_is_not_a_resection():
    out = mapped(icd10_obs(), method("24", "Biopsy of primary tumour"))
    assert out.resection is None


def test_a_non_final_registry_diagnosis_is_not_used():
    preliminary = {**icd10_obs(), "status": "preliminary"}
    out = mapped(preliminary, method())
    assert out.diagnosis is None
    assert any("Observation/icd10" in w for w in out.warnings)


def invasion(oid: str, observable: str, system: str, code: str, display: str | None) -> dict:
    return obs(oid, cc(SNOMED, observable), valueCodeableConcept=cc(CS + system, code, display))


@pytest.mark.parametrize(
    ("l_code", "v_code", "expected"),
    [("0", "1", True), ("0", "0", False), ("1", "0", True), ("8", "0", None), ("0", "2", True)],
)
def test_nkrs_l_and_v_codes_without_display(l_code, v_code, expected):
    out = mapped(
        method(),
        invasion("l", "277060007", "nkrs-lymphaticinvasion", l_code, None),
        invasion("v", "277061006", "nkrs-venousinvasion", v_code, None),
    )
    assert out.lymphovascular_invasion.value is expected


@pytest.mark.parametrize(("code", "expected"), [("0", False), ("1", True), ("8", None)])
def test_nkrs_perineural_codes_without_display(code, expected):
    pni = obs(
        "pni",
        cc(LOINC, "92837-4"),
        valueCodeableConcept=cc(CS + "nkrs-perineuralinvasion", code),
    )
    assert mapped(method(), pni).perineural_invasion.value is expected


def indicator(value: bool | None, when: str = BEFORE) -> dict:
    extra = (
        {"valueBoolean": value}
        if value is not None
        else {
            "dataAbsentReason": cc(
                "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                "unknown",
                display="Unknown",
            )
        }
    )
    return obs("mets", cc(LOINC, "98248-8"), when=when, **extra)


def sites(code: str = "3", display: str = "HEP", when: str = BEFORE) -> dict:
    return obs(
        "sites",
        cc(LOINC, "33733-7", display="Sites of distant metastasis"),
        when=when,
        valueCodeableConcept=cc(CS + "nkrs-topographymetastases", code, display=display),
    )


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ([indicator(True)], True),
        ([sites()], True),
        ([indicator(True), sites()], True),
        ([indicator(False)], False),
        ([indicator(None)], None),
    ],
)
def test_metastases_at_diagnosis(resources, expected):
    out = mapped(icd10_obs(), method(), *resources)
    assert out.metastatic_at_surgery.value is expected
    if expected:
        assert out.metastatic_at_surgery.sources


def recurrence_type(code: str, display: str, when: str = AFTER) -> dict:
    return obs(
        "recurrence",
        cc(LOINC, "97509-4", display="Cancer disease progression"),
        when=when,
        valueCodeableConcept=cc(CS + "nkrs-typerecurrencetransformation", code, display=display),
    )


@pytest.mark.parametrize(("code", "display"), [("3", "Metastasis"), ("4", "Relapse"), ("1", "")])
def test_type_of_recurrence_after_surgery_is_a_recurrence(code, display):
    out = mapped(icd10_obs(), method(), recurrence_type(code, display or "Progression"))
    assert out.recurrence.value is True
    assert out.recurrence.sources == ("Observation/recurrence",)


def test_metachronous_metastasis_before_surgery_is_metastasis_at_surgery():
    out = mapped(icd10_obs(), method(), recurrence_type("3", "Metastasis", when=BEFORE))
    assert out.metastatic_at_surgery.value is True


def test_post_diagnosis_metastasis_topography_after_surgery_is_a_recurrence():
    later = obs(
        "later",
        cc(CS + "nkrs-variables", "8.6", display="Topography(s) of post-diagnosis metastases"),
        when=AFTER,
        valueCodeableConcept=cc(CS + "nkrs-topographymetastases", "1", display="PUL"),
    )
    assert mapped(icd10_obs(), method(), later).recurrence.value is True
