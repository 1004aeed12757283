"""Sex, diagnosis and site, NEC, functional, symptoms, adjuvant therapy, metastasis, CgA,
resection, validation errors and the several-Patients rule."""

from __future__ import annotations

from datetime import date

import pytest
from test_mappers_factories import (
    ICD10,
    ICDO3,
    LOINC,
    RXNORM,
    SNOMED,
    cc,
    condition,
    diagnosis,
    loinc_obs,
    obs,
    patient,
    procedure,
    qty,
    record,
)

from fhir_mappers.errors import FhirInputError
from fhir_mappers.record import inputs_from_resources
from scoring.inputs import PrimarySite, Sex


@pytest.mark.parametrize(
    ("gender", "expected"),
    [
        ("male", Sex.MALE),
        ("female", Sex.FEMALE),
        ("other", None),
        ("unknown", None),
        (None, None),
    ],
)
def test_sex_from_gender(gender, expected):
    fact = record(gender=gender).sex
    assert fact.value == expected
    assert fact.sources == ("Patient/pt",)


def test_patient_reference_and_no_patient():
    assert record().patient == "Patient/pt"
    assert inputs_from_resources([]).patient is None


def test_several_patients_are_refused():
    with pytest.raises(FhirInputError, match="several Patients"):
        inputs_from_resources([patient(pid="a"), patient(pid="b")])


def test_same_patient_twice_is_one_patient():
    assert inputs_from_resources([patient(), patient()]).patient == "Patient/pt"


def test_invalid_used_resource_is_skipped_naming_type_id_and_path():
    bad = loinc_obs("bad1", "33728-7", valueQuantity={"value": "abc", "unit": "cm"})
    out = record(bad, loinc_obs("good", "29593-1", valueQuantity=qty(4, "%")))
    assert out.tumor_size_cm.value is None
    assert out.ki67_percent.value == 4
    assert any(
        w.startswith("Observation/bad1: not valid FHIR R4 (valueQuantity.value")
        for w in out.warnings
    ), out.warnings


def test_invalid_patient_is_reported_and_its_content_not_used():
    """Its id still says whose record it is (the Observation is used); its gender is not."""
    out = inputs_from_resources(
        [
            patient(gender="male") | {"birthDate": "not a date"},
            loinc_obs("k", "29593-1", valueQuantity=qty(4, "%")),
        ]
    )
    assert any(w.startswith("Patient/pt: not valid FHIR R4 (birthDate") for w in out.warnings)
    assert out.sex.value is None
    assert out.ki67_percent.value == 4


def test_unused_invalid_resources_are_ignored():
    junk = {
        "resourceType": "Observation",
        "id": "vitals",
        "status": "final",
        "code": cc(LOINC, "8867-4"),
        "valueQuantity": {"value": "fast"},
    }
    other = {"resourceType": "Encounter", "id": "e", "status": 5}
    assert record(junk, other).tumor_size_cm.value is None


def test_resources_about_another_patient_are_ignored():
    o = loinc_obs("s", "33728-7", valueQuantity=qty(3, "cm"), subject="Patient/someone-else")
    out = record(o)
    assert out.tumor_size_cm.value is None
    assert any("someone-else" in w for w in out.warnings)


# --- diagnosis, site, NEC --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("icd", "site", "nec"),
    [
        ("C25.4", PrimarySite.PANCREAS, None),
        ("C7A.010", PrimarySite.OTHER_GEP, False),
        ("C7A.026", PrimarySite.OTHER_GEP, False),
        ("C7A.092", PrimarySite.OTHER_GEP, False),
        ("D3A.020", PrimarySite.OTHER_GEP, False),
        ("C7A.090", None, False),
        ("C7A.1", None, True),
        ("C7A.8", None, None),
    ],
)
def test_diagnosis_codes_give_site_and_differentiation(icd, site, nec):
    out = record(diagnosis(icd=icd))
    assert out.diagnosis == "Condition/dx"
    assert out.primary_site.value == site
    assert out.poorly_differentiated.value is nec


@pytest.mark.parametrize(
    ("morphology", "nec"),
    [("8240/3", False), ("8249/3", False), ("8246/3", None), ("8013/3", True)],
)
def test_icdo3_morphology(morphology, nec):
    dx = condition("dx", cc(ICDO3, morphology, text="pancreatic tumour"))
    out = record(dx)
    assert out.poorly_differentiated.value is nec
    assert out.primary_site.value == PrimarySite.PANCREAS  # from text


def test_morphology_extension_is_read():
    ext = [
        {
            "url": "http://hl7.org/fhir/us/mcode/StructureDefinition/"
            "mcode-histology-morphology-behavior",
            "valueCodeableConcept": cc(ICDO3, "8013/3"),
        }
    ]
    out = record(diagnosis(extension=ext))
    assert out.poorly_differentiated.value is True


def test_site_from_text_and_body_site():
    dx = condition(
        "dx",
        cc(text="Well-differentiated neuroendocrine tumour"),
        bodySite=[cc(text="Terminal ileum")],
    )
    out = record(dx)
    assert out.primary_site.value == PrimarySite.OTHER_GEP
    assert out.poorly_differentiated.value is False


def test_refuted_and_entered_in_error_conditions_are_ignored():
    out = record(
        diagnosis(verification="refuted"), diagnosis("dx2", verification="entered-in-error")
    )
    assert out.diagnosis is None and out.primary_site.value is None
    assert sum("not used" in w for w in out.warnings) == 2


def test_diagnosis_linked_to_resection_is_chosen():
    linked = diagnosis("linked", icd="C7A.092", onset="2024-02-01")
    early = diagnosis("early", icd="C25.4", onset="2020-01-01")
    surgery = procedure(reasonReference=[{"reference": "Condition/linked"}])
    out = inputs_from_resources([patient(), surgery, linked, early])
    assert out.diagnosis == "Condition/linked"
    assert out.primary_site.value == PrimarySite.OTHER_GEP
    assert "other diagnoses name pancreas" in out.primary_site.note


# --- functional ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "code",
    [
        cc(SNOMED, "20955008"),
        cc(SNOMED, "31131002"),
        cc(ICDO3, "8151/3"),
        cc(text="Gastrinoma (Zollinger-Ellison)"),
        cc(text="functioning pancreatic NET"),
    ],
)
def test_functional_true(code):
    fact = record(condition("f", code)).functional
    assert fact.value is True and fact.sources == ("Condition/f",)


def test_functional_false_only_when_recorded_non_functioning():
    assert record(diagnosis()).functional.value is None
    fact = record(condition("nf", cc(text="Non-functioning pancreatic NET"))).functional
    assert fact.value is False and fact.sources == ("Condition/nf",)


def test_functional_conflict_is_true():
    out = record(
        condition("nf", cc(text="nonfunctional PanNET")), condition("ins", cc(text="Insulinoma"))
    )
    assert out.functional.value is True and "non-functioning" in out.functional.note


# --- symptoms ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "code",
    [
        cc(SNOMED, "18165001"),
        cc(SNOMED, "21522001"),
        cc(SNOMED, "74474003"),
        cc(ICD10, "R17"),
        cc(ICD10, "K92.2"),
        cc(ICD10, "R10.13"),
        cc(text="Obstructive jaundice"),
    ],
)
def test_symptom_before_surgery_is_symptomatic(code):
    fact = record(condition("sym", code, onset="2024-01-10")).symptomatic
    assert fact.value is True and fact.sources == ("Condition/sym",)


def test_pelvic_pain_is_not_a_presenting_symptom():
    assert (
        record(condition("sym", cc(ICD10, "R10.2"), onset="2024-01-10")).symptomatic.value is None
    )


@pytest.mark.parametrize("onset", ["2024-03-04", "2024-04-01", "2024-03"])
def test_symptom_on_or_after_surgery_does_not_count(onset):
    assert record(condition("sym", cc(SNOMED, "18165001"), onset=onset)).symptomatic.value is None


def test_symptom_recorded_date_bounds_onset():
    c = condition("sym", cc(SNOMED, "21522001"), onset=None, recordedDate="2024-02-01")
    assert record(c).symptomatic.value is True


def test_no_symptom_record_is_unknown_not_false():
    assert record(diagnosis()).symptomatic.value is None


def test_asymptomatic_record_gives_false():
    out = record(condition("a", cc(SNOMED, "84387000"), onset="2024-01-05"))
    assert out.symptomatic.value is False and out.symptomatic.sources == ("Condition/a",)
    note = diagnosis(note=[{"text": "Incidentally discovered on CT for kidney stones"}])
    assert record(note).symptomatic.value is False


def test_symptom_observation_and_absent_symptom_observation():
    present = obs("o1", cc(SNOMED, "18165001"), when="2024-01-02", valueBoolean=True)
    absent = obs("o2", cc(SNOMED, "21522001"), when="2024-01-02", valueBoolean=False)
    assert record(present).symptomatic.value is True
    assert record(absent).symptomatic.value is None


def test_symptoms_without_surgery_date_are_unknown():
    out = record(
        procedure(performed=None), condition("sym", cc(SNOMED, "18165001")), with_surgery=False
    )
    assert out.symptomatic.value is None
    assert out.resection is not None and out.resection.performed is None


# --- resection ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "code",
    [
        cc(text="Whipple procedure"),
        cc(text="Enucleation of pNET"),
        cc(text="Right hemicolectomy"),
        cc(text="Small bowel resection"),
        cc("http://www.ama-assn.org/go/cpt", "48150"),
    ],
)
def test_resection_procedures_recognised(code):
    out = record(procedure("op", code, performed="2024-05-06"), with_surgery=False)
    assert out.resection is not None
    assert out.resection.source == "Procedure/op"
    assert out.resection.performed == date(2024, 5, 6)


@pytest.mark.parametrize(
    "status", ["in-progress", "preparation", "not-done", "stopped", "entered-in-error", "unknown"]
)
def test_non_completed_resection_is_ignored(status):
    out = record(procedure(status=status), with_surgery=False)
    assert out.resection is None
    assert any("Procedure/surgery" in w for w in out.warnings)


def test_biopsy_is_not_a_resection_and_earliest_resection_wins():
    out = record(
        procedure("bx", cc(text="EUS-guided biopsy of pancreas")),
        procedure("second", cc(text="Completion pancreatectomy"), performed="2024-08-01"),
        procedure("first", cc(text="Distal pancreatectomy"), performed="2024-02-01"),
        with_surgery=False,
    )
    assert out.resection.source == "Procedure/first"


def test_resection_period_start_is_the_date():
    p = procedure(
        performed=None,
        performedPeriod={"start": "2024-03-04T08:00:00Z", "end": "2024-03-04T14:00:00Z"},
    )
    assert record(p, with_surgery=False).resection.performed == date(2024, 3, 4)


def test_resection_report_stands_in_without_procedure():
    specimen = {
        "resourceType": "Specimen",
        "id": "sp",
        "type": cc(text="Whipple specimen"),
        "collection": {"collectedDateTime": "2024-03-04"},
    }
    report = {
        "resourceType": "DiagnosticReport",
        "subject": {"reference": "Patient/pt"},
        "id": "path",
        "status": "final",
        "code": cc(LOINC, "60568-3", text="Pathology synoptic report"),
        "specimen": [{"reference": "Specimen/sp"}],
    }
    out = record(specimen, report, with_surgery=False)
    assert out.resection.source == "DiagnosticReport/path"
    assert out.resection.performed == date(2024, 3, 4)
    no_date = specimen | {"collection": {}}
    assert record(no_date, report, with_surgery=False).resection.performed is None


# --- adjuvant therapy --------------------------------------------------------------------------
def med_request(mid, drug, *, status="active", authored="2024-05-01", **extra):
    return {
        "resourceType": "MedicationRequest",
        "id": mid,
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": drug,
        "subject": {"reference": "Patient/pt"},
        "authoredOn": authored,
    } | extra


@pytest.mark.parametrize(
    "drug",
    [
        cc(RXNORM, "141704"),
        cc(RXNORM, "357977"),
        cc(text="Lanreotide 120 mg depot"),
        cc(text="Octreotide LAR 30 mg"),
        cc(text="Lutetium Lu 177 dotatate"),
    ],
)
def test_adjuvant_after_surgery(drug):
    fact = record(med_request("m", drug)).adjuvant_therapy
    assert fact.value is True and fact.sources == ("MedicationRequest/m",)


def test_adjuvant_before_or_on_surgery_day_does_not_count():
    assert (
        record(med_request("m", cc(RXNORM, "141704"), authored="2024-03-04")).adjuvant_therapy.value
        is None
    )


@pytest.mark.parametrize("status", ["cancelled", "entered-in-error", "draft"])
def test_adjuvant_request_status_rules(status):
    out = record(med_request("m", cc(RXNORM, "141704"), status=status))
    assert out.adjuvant_therapy.value is None


def test_short_acting_octreotide_is_not_adjuvant_unless_linked():
    octreotide = med_request("m", cc(text="octreotide 100 mcg SC tid"), authored="2024-03-05")
    out = record(octreotide)
    assert out.adjuvant_therapy.value is None and any("fistula" in w for w in out.warnings)
    linked = octreotide | {"reasonReference": [{"reference": "Condition/dx"}]}
    assert record(diagnosis(), linked).adjuvant_therapy.value is True


def test_captem_counts_only_as_a_pair():
    cap = med_request("c", cc(RXNORM, "194000"))
    tem = med_request("t", cc(RXNORM, "37776"))
    assert record(cap).adjuvant_therapy.value is None
    assert record(cap, tem).adjuvant_therapy.sources == (
        "MedicationRequest/c",
        "MedicationRequest/t",
    )


def test_statement_administration_procedure_and_medication_reference():
    statement = {
        "resourceType": "MedicationStatement",
        "id": "s",
        "status": "completed",
        "medicationCodeableConcept": cc(text="Everolimus 10 mg"),
        "subject": {"reference": "Patient/pt"},
        "effectivePeriod": {"start": "2024-04-01"},
    }
    prrt = procedure("prrt", cc(text="PRRT with Lutathera"), performed="2024-06-01")
    med = {"resourceType": "Medication", "id": "med", "code": cc(RXNORM, "357977")}
    admin = {
        "resourceType": "MedicationAdministration",
        "id": "a",
        "status": "completed",
        "medicationReference": {"reference": "Medication/med"},
        "subject": {"reference": "Patient/pt"},
        "effectiveDateTime": "2024-04-02",
    }
    for resources in ([statement], [prrt], [med, admin]):
        assert record(*resources).adjuvant_therapy.value is True


# --- metastasis ---------------------------------------------------------------------------------
def test_liver_metastasis_at_surgery():
    out = record(condition("met", cc(ICD10, "C7B.02"), onset="2024-03-01"))
    assert out.metastatic_at_surgery.value is True
    later = record(condition("met", cc(ICD10, "C7B.02"), onset="2025-01-01"))
    assert later.metastatic_at_surgery.value is None
    negated = record(condition("c", cc(text="No liver metastases"), onset="2024-03-01"))
    assert negated.metastatic_at_surgery.value is None


def test_m_category():
    m1 = loinc_obs("m", "21901-4", valueCodeableConcept=cc(text="pM1"), when="2024-03-01")
    m0 = loinc_obs("m", "21907-1", valueCodeableConcept=cc(text="cM0"), when="2024-02-01")
    assert record(m1).metastatic_at_surgery.value is True
    assert record(m0).metastatic_at_surgery.value is False


# --- chromogranin A -----------------------------------------------------------------------------
def cga(oid, value, *, when="2024-02-01", high=100, interpretation=None):
    extra = {"valueQuantity": qty(value, "ng/mL")}
    if high is not None:
        extra["referenceRange"] = [{"high": qty(high, "ng/mL")}]
    if interpretation:
        extra["interpretation"] = [
            cc("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", interpretation)
        ]
    return loinc_obs(oid, "9811-1", when=when, **extra)


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (cga("c", 150), True),
        (cga("c", 100), False),
        (cga("c", 80, high=None), None),
        (cga("c", 80, high=None, interpretation="H"), True),
        (cga("c", 80, high=None, interpretation="N"), False),
        (cga("c", 500, when="2024-06-01"), None),
    ],
)
def test_preop_chromogranin(resource, expected):
    assert record(resource).preop_chromogranin_elevated.value is expected
