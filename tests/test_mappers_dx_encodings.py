"""NET diagnoses and resections in every encoding a public IG or EHR uses (issue 9, dx lane):
ICD-10-CM / WHO ICD-10 / ICD-10-GM, ICD-O-3 in the mCODE and MII extensions and in histology
Observations, text in several languages; CPT, ICD-10-PCS, OPS, SNOMED + body site, text.

Resources marked "MII" follow the examples of medizininformatik-initiative/
kerndatensatzmodul-onkologie (fsh-generated/resources/...), with their code systems, extension
URLs and shapes kept and the values set to a NET case.
"""

from __future__ import annotations

import pytest
from test_mappers_factories import (
    CPT,
    ICD10,
    ICDO3,
    LOINC,
    SNOMED,
    cc,
    condition,
    obs,
    patient,
    procedure,
    record,
)

from fhir_mappers.payload import resources_from_payload
from fhir_mappers.record import inputs_from_resources
from scoring.inputs import PrimarySite

GM = "http://fhir.de/CodeSystem/bfarm/icd-10-gm"
GM_OLD = "http://fhir.de/CodeSystem/dimdi/icd-10-gm"
WHO = "http://hl7.org/fhir/sid/icd-10"
OPS = "http://fhir.de/CodeSystem/bfarm/ops"
PCS = "http://www.cms.gov/Medicare/Coding/ICD10"
MII_MORPHOLOGY = (
    "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/StructureDefinition/"
    "mii-ex-onko-histology-morphology-behavior-icdo3"
)
MCODE_MORPHOLOGY = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
)


def mii_diagnosis(icd: str, morphology: str | None, *, system: str = GM, **extra) -> dict:
    """Shape of MII Condition-mii-exa-onko-diagnose.json (GM coding with version, ICD-O-3
    morphology extension, recordedDate instead of onset)."""
    out = condition(
        "mii-dx",
        {"coding": [{"system": system, "code": icd, "version": "2024"}]},
        onset=None,
        recordedDate="2024-01-20",
        **extra,
    )
    if morphology:
        out["extension"] = [
            {
                "url": MII_MORPHOLOGY,
                "valueCodeableConcept": {"coding": [{"system": ICDO3, "code": morphology}]},
            }
        ]
    return out


# --- diagnoses ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("resource", "site", "nec"),
    [
        # ICD-10-CM (existing)
        (condition("dx", cc(ICD10, "C7A.026")), PrimarySite.OTHER_GEP, False),
        # WHO ICD-10: C25.4 endocrine pancreas is a NET diagnosis by itself
        (condition("dx", cc(WHO, "C25.4")), PrimarySite.PANCREAS, None),
        # ICD-10-GM, current and old URL, MII shape with morphology extension
        (mii_diagnosis("C25.1", "8240/3"), PrimarySite.PANCREAS, False),
        (mii_diagnosis("C25.4", None, system=GM_OLD), PrimarySite.PANCREAS, None),
        (mii_diagnosis("C17.0", "8249/3"), PrimarySite.OTHER_GEP, False),
        # GM code written without the dot and with a certainty letter
        (mii_diagnosis("C254 G", None), PrimarySite.PANCREAS, None),
        # mCODE histology-morphology-behavior extension on a SNOMED-coded Condition
        (
            condition(
                "dx",
                cc(SNOMED, "363418001", display="Malignant tumor of pancreas"),
                extension=[
                    {
                        "url": MCODE_MORPHOLOGY,
                        "valueCodeableConcept": cc(ICDO3, "8240/3", display="Carcinoid tumor"),
                    }
                ],
            ),
            PrimarySite.PANCREAS,
            False,
        ),
        # text: German, English, French, Spanish
        (
            condition("dx", cc(text="Neuroendokriner Tumor des Pankreas, G2")),
            PrimarySite.PANCREAS,
            None,
        ),
        (condition("dx", cc(text="NET des Pankreasschwanzes")), PrimarySite.PANCREAS, None),
        (condition("dx", cc(text="Tumeur neuroendocrine du pancréas")), PrimarySite.PANCREAS, None),
        (condition("dx", cc(text="Tumor neuroendocrino de íleon")), PrimarySite.OTHER_GEP, None),
        (
            condition("dx", cc(text="gut differenzierter neuroendokriner Tumor des Ileums")),
            PrimarySite.OTHER_GEP,
            False,
        ),
    ],
)
def test_diagnosis_encodings(resource, site, nec):
    out = record(resource)
    assert out.diagnosis is not None, resource
    assert out.primary_site.value == site
    assert out.poorly_differentiated.value is nec


def test_who_and_gm_have_no_c7a_chapter():
    # C7A exists only in ICD-10-CM; a GM "C7A.0" is not read as a NET diagnosis by code.
    assert record(condition("dx", cc(GM, "C7A.0"))).diagnosis is None


@pytest.mark.parametrize(
    "text",
    ["Neuroendokrines Karzinom des Pankreas", "carcinome neuroendocrine peu différencié"],
)
def test_nec_in_other_languages(text):
    assert record(condition("dx", cc(text=text))).poorly_differentiated.value is True


def test_gm_site_code_needs_net_morphology_or_text():
    # C25.0 (head of pancreas) alone is any pancreatic cancer, not a NET.
    assert record(mii_diagnosis("C25.0", "8500/3")).diagnosis is None


def test_histology_observation_supplies_morphology():
    # MII Observation-mii-exa-onko-histologie-icdo3.json: LOINC 59847-4, ICD-O-3 value.
    dx = mii_diagnosis("C25.2", None)
    histology = obs(
        "histo",
        cc(LOINC, "59847-4"),
        valueCodeableConcept=cc(ICDO3, "8240/3", display="Neuroendokriner Tumor G1"),
        focus=[{"reference": "Condition/mii-dx"}],
    )
    out = record(dx, histology)
    assert out.diagnosis == "Condition/mii-dx"
    assert out.primary_site.value is PrimarySite.PANCREAS
    assert out.poorly_differentiated.value is False
    assert record(dx).diagnosis is None


def test_gm_excluded_diagnosis_is_not_used():
    excluded = mii_diagnosis("C25.4", None)
    excluded["code"]["coding"][0]["extension"] = [
        {
            "url": "http://fhir.de/StructureDefinition/icd-10-gm-diagnosesicherheit",
            "valueCoding": {
                "system": "https://fhir.kbv.de/CodeSystem/KBV_CS_SFHIR_ICD_DIAGNOSESICHERHEIT",
                "code": "A",
            },
        }
    ]
    out = record(excluded)
    assert out.diagnosis is None
    assert any("excluded" in w for w in out.warnings)


# --- resections ---------------------------------------------------------------------------------
def _resected(code: dict, **extra) -> bool:
    resources = [patient(), procedure("op", code, **extra), condition("dx", cc(WHO, "C25.4"))]
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": []}
    bundle["entry"] = [{"resource": r} for r in resources]
    return inputs_from_resources(resources_from_payload(bundle)).resection is not None


@pytest.mark.parametrize(
    ("code", "extra"),
    [
        (cc(CPT, "48150"), {}),
        # ICD-10-PCS: resection / excision of pancreas, Whipple duodenum part, appendix
        (cc(PCS, "0FTG0ZZ"), {}),
        (cc(PCS, "0FBG4ZZ"), {}),
        (cc(PCS, "0DTJ0ZZ"), {}),
        # OPS, MII Procedure-mii-exa-onko-operation-1.json shape (display in German, version)
        (
            {"coding": [{"system": OPS, "code": "5-524.2", "version": "OPS 2024"}]},
            {},
        ),
        ({"coding": [{"system": OPS, "code": "5-525.0"}]}, {}),
        ({"coding": [{"system": "http://fhir.de/CodeSystem/dimdi/ops", "code": "5-454.20"}]}, {}),
        # SNOMED without a display, generic text + pancreas body site
        (
            cc(SNOMED, "65801008", text="Excision"),
            {"bodySite": [cc(SNOMED, "15776009", display="Pancreatic structure")]},
        ),
        # text: German, English, French, Spanish
        (cc(text="Pankreaslinksresektion mit Splenektomie"), {}),
        (cc(text="Whipple-Operation"), {}),
        (cc(text="Pankreatoduodenektomie (pyloruserhaltend)"), {}),
        (cc(text="Laparoscopic spleen-preserving distal pancreatectomy"), {}),
        (cc(text="Duodénopancréatectomie céphalique"), {}),
        (cc(text="Pancreatectomía distal"), {}),
        (cc(text="Enukleation eines Insulinoms"), {}),
        (cc(text="Ileozökalresektion"), {}),
    ],
)
def test_resection_encodings(code, extra):
    assert _resected(code, **extra), code


@pytest.mark.parametrize(
    ("code", "extra"),
    [
        (cc(PCS, "0FBG3ZX"), {}),  # diagnostic (X) percutaneous excision = biopsy
        (cc(PCS, "0FBG3ZZ"), {}),  # percutaneous: not a curative resection
        ({"coding": [{"system": OPS, "code": "5-470.0"}]}, {}),  # not in the confirmed table
        (cc(text="Cholecystectomy"), {}),
        (cc(text="Feinnadelbiopsie des Pankreas"), {}),
        (cc(SNOMED, "65801008", text="Excision"), {"bodySite": [cc(text="skin of back")]}),
    ],
)
def test_not_resections(code, extra):
    assert not _resected(code, **extra), code
