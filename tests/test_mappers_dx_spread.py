"""Distant metastasis at surgery and recurrence after it, in every encoding of clinical.md §1
(issue 9, dx lane). Surgery is on 2024-03-04 (test_mappers_factories.SURGERY_DAY).

Shapes follow public IG examples: mCODE (HL7/fhir-mCODE-ig input/fsh/EX_Basic.fsh,
EX_ExtendedExample.fsh: SecondaryCancerCondition, TNMDistantMetastasesCategory,
HistoryOfMetastaticCancer, CancerDiseaseStatus) and MII onko (medizininformatik-initiative/
kerndatensatzmodul-onkologie fsh-generated/resources: Observation-TNM-M-Observation-2.json,
Observation-mii-exa-onko-fernmetastasen-1.json, Observation-mii-exa-onko-verlauf-tumor.json).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from test_mappers_factories import ICD10, LOINC, SNOMED, cc, condition, diagnosis, obs, record

from fhir_mappers.payload import resources_from_payload
from fhir_mappers.record import inputs_from_resources
from scoring.assess import assess
from scoring.inputs import PrimarySite

WHO = "http://hl7.org/fhir/sid/icd-10"
GM = "http://fhir.de/CodeSystem/bfarm/icd-10-gm"
UICC = "https://www.uicc.org/resources/tnm"
MII_CS = "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/CodeSystem/"
BEFORE, AFTER = "2024-02-20", "2025-06-01"
TODAY = date(2026, 12, 1)


def report(rid: str, conclusion: str, *, when: str = BEFORE, status: str = "final") -> dict:
    return {
        "resourceType": "DiagnosticReport",
        "id": rid,
        "status": status,
        "code": cc(LOINC, "24558-9", text="MR Abdomen"),
        "subject": {"reference": "Patient/pt"},
        "effectiveDateTime": when,
        "conclusion": conclusion,
    }


def m_obs(code: dict, value: dict, when: str = BEFORE) -> dict:
    return obs("m", code, when=when, valueCodeableConcept=value)


# --- metastasis at surgery ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "resource",
    [
        condition("met", cc(ICD10, "C78.7"), onset=BEFORE),
        condition("met", cc(ICD10, "C7B.02"), onset=BEFORE),
        condition("met", cc(ICD10, "C7B.8"), onset=BEFORE),
        condition("met", cc(WHO, "C79.5"), onset=BEFORE),
        condition("met", cc(GM, "C78.7"), onset=BEFORE),
        condition("met", cc(SNOMED, "94381002"), onset=BEFORE),
        condition("met", cc(SNOMED, "94225005", display="Secondary malignant neoplasm of brain")),
        condition("met", cc(SNOMED, "1098951000119108"), onset=BEFORE),
        # ICD-O-3 behaviour /6 (metastatic site)
        condition(
            "met", cc("http://terminology.hl7.org/CodeSystem/icd-o-3", "8240/6"), onset=BEFORE
        ),
        condition("met", cc(text="Lebermetastasen eines NET"), onset=BEFORE),
        condition("met", cc(text="Multiple liver metastases"), onset=BEFORE),
        # mCODE HistoryOfMetastaticCancer Observation
        obs("hx", cc(SNOMED, "1098951000119108"), when=BEFORE),
        # M1 category: LOINC + text, SNOMED observable + SNOMED AJCC value without display,
        # SNOMED + AJCC display, MII pM (371497001) + UICC "M1b"
        m_obs(cc(LOINC, "21907-1"), cc(text="cM1")),
        m_obs(cc(SNOMED, "399387003"), cc(SNOMED, "1229903009")),
        m_obs(
            cc(SNOMED, "371497001"),
            cc(SNOMED, "1229916009", display="American Joint Committee on Cancer pM1"),
        ),
        m_obs(cc(SNOMED, "371497001", display="pM category (observable entity)"), cc(UICC, "M1b")),
        # MII Fernmetastasen: site of distant metastasis, value HEP
        obs(
            "fm",
            cc(SNOMED, "385421009"),
            when=BEFORE,
            valueCodeableConcept=cc(MII_CS + "mii-cs-onko-fernmetastasen", "HEP", display="Leber"),
        ),
        # report text, English and German
        report("mr", "Two hepatic metastases in segment VI and VII."),
        report("ct", "Befund: Lebermetastasen. Kein Aszites."),
    ],
)
def test_metastasis_at_surgery_encodings(resource):
    out = record(diagnosis(), resource)
    assert out.metastatic_at_surgery.value is True, out.warnings
    assert out.metastatic_at_surgery.sources
    assessment = assess(out, today=TODAY)
    assert assessment.scope_code == "metastatic-at-surgery"
    assert assessment.scope_reason.count(out.metastatic_at_surgery.sources[0]) == 1


@pytest.mark.parametrize(
    "text",
    [
        "No distant metastasis.",
        "Kein Anhalt für Metastasen",
        "Kein Anhalt für Lebermetastasen oder Fernmetastasen",
        "keine Lebermetastasen",
        "Suspicious for liver metastasis",
        "V.a. Lebermetastasen",
        "liver metastasis cannot be excluded",
        "Pas de métastases hépatiques",
        "no liver, lung or bone metastases",
        "Distant metastasis: none",
        "Lebermetastasen nicht nachweisbar",
        "liver metastases?",
        "Fernmetastasen: nicht auszuschließen",
        "Distant metastasis: not applicable (pMX)",
    ],
)
def test_negated_or_uncertain_metastasis_text_is_not_present(text):
    out = record(diagnosis(), report("r", text), condition("c", cc(text=text), onset=BEFORE))
    assert out.metastatic_at_surgery.value is None
    assert out.recurrence.value is None


@pytest.mark.parametrize(
    "text",
    [
        "No ascites; liver metastases in segment IV.",
        "Liver metastases present, no ascites.",
        "No ascites, but hepatic metastases in segment IV and VII.",
        "Kein Aszites. Lebermetastasen in Segment IV.",
        "No change in the known liver metastases.",
    ],
)
def test_negation_and_uncertainty_have_a_scope(text):
    out = record(diagnosis(), report("r", text))
    assert out.metastatic_at_surgery.value is True
    assert "read from the report text" in out.metastatic_at_surgery.note


def test_suspected_metastasis_condition_is_not_a_finding():
    suspected = condition("met", cc(ICD10, "C78.7"), onset=BEFORE, verification="provisional")
    out = record(diagnosis(), suspected)
    assert out.metastatic_at_surgery.value is None
    assert any("suspected" in w for w in out.warnings)


def test_m0_gives_false_and_unknown_m_stays_unknown():
    m0 = m_obs(cc(SNOMED, "399387003"), cc(SNOMED, "1229901006"))
    assert record(diagnosis(), m0).metastatic_at_surgery.value is False
    unknown = record(diagnosis())
    assert unknown.metastatic_at_surgery.value is None
    shown = {i.id: i for i in assess(unknown, today=TODAY).inputs}
    assert shown["metastatic_at_surgery"].value is None  # shown as unknown, never as M0
    mx = record(diagnosis(), m_obs(cc(LOINC, "21907-1"), cc(text="MX")))
    assert mx.metastatic_at_surgery.value is None


def test_c77_regional_nodes_are_not_distant_metastasis():
    out = record(diagnosis(), condition("n", cc(ICD10, "C77.2"), onset=BEFORE))
    assert out.metastatic_at_surgery.value is None


def test_mcode_no_history_of_metastatic_cancer_is_not_metastasis():
    # mCODE EX_Basic.fsh no-history-of-metastatic-cancer: valueBoolean false reverses the code.
    none = obs("hx", cc(SNOMED, "1287652008"), when=BEFORE, valueBoolean=False)
    assert record(diagnosis(), none).metastatic_at_surgery.value is None


# --- recurrence ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "resources",
    [
        # a secondary neoplasm first recorded after the resection (ICD-10, SNOMED)
        [condition("met", cc(ICD10, "C7B.02"), onset=AFTER)],
        [condition("met", cc(SNOMED, "94381002"), onset=AFTER)],
        # recurrence concepts: SNOMED recurrent malignant neoplasm (MII map), Nictiz 25173007
        [condition("rec", cc(SNOMED, "1259237005"), onset=AFTER)],
        [
            obs(
                "rt",
                cc(SNOMED, "25173007"),
                when=AFTER,
                valueCodeableConcept=cc(SNOMED, "52101004"),
            )
        ],
        # clinical status of the NET diagnosis (FHIR condition-clinical)
        [
            diagnosis(
                "dx2",
                clinicalStatus=cc(
                    "http://terminology.hl7.org/CodeSystem/condition-clinical", "recurrence"
                ),
            )
        ],
        # mCODE CancerDiseaseStatus worsened, after surgery
        [obs("ds", cc(LOINC, "97509-4"), when=AFTER, valueCodeableConcept=cc(SNOMED, "271299001"))],
        # MII Verlauf: overall Y (Rezidiv); a local-recurrence component
        [
            obs(
                "vl",
                cc(SNOMED, "396432002"),
                when=AFTER,
                valueCodeableConcept=cc(MII_CS + "mii-cs-onko-verlauf-gesamtbeurteilung", "Y"),
            )
        ],
        [
            obs(
                "vl",
                cc(SNOMED, "396432002"),
                when=AFTER,
                component=[
                    {
                        "code": cc(SNOMED, "277062004"),
                        "valueCodeableConcept": cc(
                            MII_CS + "mii-cs-onko-verlauf-primaertumor", "R", display="Lokalrezidiv"
                        ),
                    }
                ],
            )
        ],
        # M1 first recorded after surgery (restaging)
        [m_obs(cc(LOINC, "21907-1"), cc(text="rcM1"), when=AFTER)],
        # text, English and German, after surgery
        [report("ct", "New liver metastases since the prior study.", when=AFTER)],
        [report("ct", "Befund vereinbar mit Lokalrezidiv am Pankreasrest.", when=AFTER)],
        [condition("rec", cc(text="Local recurrence of pancreatic NET"), onset=AFTER)],
    ],
)
def test_recurrence_encodings(resources):
    out = record(diagnosis(), *resources)
    assert out.recurrence.value is True, out.warnings
    assessment = assess(out, today=TODAY)
    assert assessment.in_scope is False
    assert assessment.scope_code == "recurrence-on-record"
    assert assessment.scope_reason.startswith("recurrence on record")
    assert assessment.scope_reason.count(out.recurrence.sources[0]) == 1
    assert assessment.scores == [] and assessment.surveillance is None


def test_progression_text_before_surgery_is_not_recurrence():
    out = record(diagnosis(), report("ct", "Tumour progression since 2023.", when=BEFORE))
    assert out.recurrence.value is None
    after = record(
        diagnosis(), report("ct", "Tumour progression in the pancreatic bed.", when=AFTER)
    )
    assert after.recurrence.value is True


def test_progression_before_surgery_is_not_recurrence():
    before = obs(
        "ds", cc(LOINC, "97509-4"), when=BEFORE, valueCodeableConcept=cc(SNOMED, "271299001")
    )
    out = record(diagnosis(), before)
    assert out.recurrence.value is None
    assert any("not dated after the resection" in w for w in out.warnings)


@pytest.mark.parametrize(
    "text", ["No evidence of recurrence.", "Kein Anhalt für ein Rezidiv", "recurrent pancreatitis"]
)
def test_negated_or_unrelated_recurrence_text(text):
    out = record(diagnosis(), report("ct", text, when=AFTER))
    assert out.recurrence.value is None


def test_undated_metastasis_is_out_of_scope_as_metastasis_on_record():
    out = record(diagnosis(), condition("met", cc(ICD10, "C78.7"), onset=None))
    assert out.metastatic_at_surgery.value is None
    assert out.recurrence.value is True
    assert "at or after surgery" in out.recurrence.note


def test_no_recurrence_record_is_unknown_never_false():
    assert record(diagnosis()).recurrence.value is None


# --- a whole MII-encoded record (tests/data/dx/README.md names the source files) -----------------
MII_BUNDLE = Path(__file__).parent / "data" / "dx" / "mii_onko_pannet_m1b.bundle.json"


def _mii(drop_m: bool = False):
    bundle = json.loads(MII_BUNDLE.read_text(encoding="utf-8"))
    if drop_m:
        bundle["entry"] = [
            e for e in bundle["entry"] if e["resource"]["id"] != "TNM-M-Observation-2"
        ]
    return inputs_from_resources(resources_from_payload(bundle))


def test_mii_encoded_pannet_with_pm1b_gets_no_tier():
    inputs = _mii()
    assert inputs.diagnosis == "Condition/mii-exa-onko-diagnose"
    assert inputs.resection.source == "Procedure/mii-exa-onko-operation-1"
    assert inputs.metastatic_at_surgery.sources == ("Observation/TNM-M-Observation-2",)
    assessment = assess(inputs, today=TODAY)
    assert assessment.scope_code == "metastatic-at-surgery"
    assert assessment.overall_tier is None and assessment.surveillance is None


def test_mii_encoded_pannet_without_m_is_scored_with_m_unknown():
    inputs = _mii(drop_m=True)
    assert inputs.primary_site.value is PrimarySite.PANCREAS
    assert inputs.metastatic_at_surgery.value is None
    assessment = assess(inputs, today=TODAY)
    assert assessment.in_scope is True
    assert any("read as completed" in w for w in assessment.warnings)


def test_text_findings_quote_their_phrase():
    out = record(diagnosis(), condition("met", cc(text="Multiple liver metastases"), onset=BEFORE))
    assert out.metastatic_at_surgery.note.endswith(
        'Condition/met), read from its text: "multiple liver metastases"; please confirm'
    )
