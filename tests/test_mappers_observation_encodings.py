"""One case per real-world pathology encoding (issue 9, clinical.md §3.3).

Where a public IG has an example, the Observation is that example's JSON with only its id,
subject and date set to this test's patient; the source (repository and path) is noted beside
each. Sources were read from the public repositories at:
- MII onkologie: medizininformatik-initiative/kerndatensatzmodul-onkologie, fsh-generated/resources/
- mCODE STU4: HL7/fhir-mCODE-ig, input/fsh/ (FSH instances, written out as JSON here)
- Synthea: synthetichealth/synthea, src/main/resources/modules/breast_cancer/tnm_diagnosis.json
- US Pathology / CAP eCC: HL7/cancer-reporting, input/fsh/instances/ (code system http://cap.org/eCC)
"""

from __future__ import annotations

import pytest
from test_mappers_factories import LOINC, SNOMED, UCUM, cc, loinc_obs, obs, qty, record

from scoring.inputs import Grade

MII_GRADING = (
    "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/CodeSystem/mii-cs-onko-grading"
)
UICC = "https://www.uicc.org/resources/tnm"
NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
CAP = "http://cap.org/eCC"
SUBJECT = {"reference": "Patient/pt"}


def example(resource: dict, oid: str | None = None) -> dict:
    """A public example re-homed to this test's patient (id, subject and date only)."""
    out = dict(resource)
    out["id"] = oid or out["id"]
    out["subject"] = SUBJECT
    out["effectiveDateTime"] = "2024-03-08"
    return out


# --- grade ----------------------------------------------------------------------------------
# Observation-mii-exa-onko-grading-1.json (valueCodeableConcept code "3", no display)
MII_GRADING_EXAMPLE = {
    "resourceType": "Observation",
    "id": "mii-exa-onko-grading-1",
    "category": [
        {
            "coding": [
                {
                    "code": "laboratory",
                    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                }
            ]
        }
    ],
    "code": {
        "coding": [
            {
                "code": "33732-9",
                "system": LOINC,
                "display": "Histology grade [Identifier] in Cancer specimen",
            }
        ]
    },
    "status": "final",
    "valueCodeableConcept": {"coding": [{"system": MII_GRADING, "code": "3"}]},
}


def grade_obs(value: dict, code: dict | None = None) -> dict:
    return obs("g", code or cc(LOINC, "33732-9"), valueCodeableConcept=value)


def test_mii_grading_code_without_display():
    fact = record(example(MII_GRADING_EXAMPLE, "g")).grade_reported
    assert fact.value == Grade.G3
    assert fact.sources == ("Observation/g",)


@pytest.mark.parametrize(("code", "grade"), [("1", Grade.G1), ("2", Grade.G2), ("H", Grade.G3)])
def test_mii_grading_codes(code, grade):
    assert record(grade_obs(cc(MII_GRADING, code))).grade_reported.value == grade


@pytest.mark.parametrize("code", ["L", "M", "X", "U", "4"])
def test_mii_grading_ranges_and_unknowns_stay_unknown_with_their_meaning(code):
    out = record(grade_obs(cc(MII_GRADING, code)))
    assert out.grade_reported.value is None
    assert any("Observation/g" in w and "not one WHO grade" in w for w in out.warnings)


def test_mcode_histologic_grade_profile_ncit_code():
    # HL7/fhir-mCODE-ig input/fsh/EX_Basic.fsh instance histologic-grade-intermediate
    # (profile HistologicGrade: code = NCIT#C18000)
    resource = {
        "resourceType": "Observation",
        "id": "histologic-grade-intermediate",
        "status": "final",
        "code": {"coding": [{"system": NCIT, "code": "C18000"}]},
        "valueCodeableConcept": {
            "coding": [
                {
                    "system": SNOMED,
                    "code": "1286893008",
                    "display": "Intermediate histologic grade (qualifier value)",
                }
            ]
        },
        "method": {
            "coding": [
                {
                    "system": SNOMED,
                    "code": "1149430001",
                    "display": "World Health Organization classification of tumors histologic "
                    "grading system fifth edition",
                }
            ]
        },
    }
    assert record(example(resource, "g")).grade_reported.value == Grade.G2


@pytest.mark.parametrize(
    ("code", "grade"),
    [
        ("54102005", Grade.G1),  # "G1 grade (finding)", DICOM CID 6070
        ("1663004", Grade.G2),
        ("61026006", Grade.G3),
        ("1228850007", Grade.G2),  # AJCC grade G2 (third-party generators)
        ("1155708003", Grade.G1),  # mCODE HistologicGradeVS
    ],
)
def test_snomed_grade_codes_without_display(code, grade):
    assert record(grade_obs(cc(SNOMED, code))).grade_reported.value == grade


def test_ncit_grade_coding_is_read_by_its_display():
    # NCIt answer codes are not in the table (not confirmed); the display carries the grade
    value = cc(NCIT, "C99999", display="Grade 2")
    assert record(grade_obs(value)).grade_reported.value == Grade.G2


@pytest.mark.parametrize(
    ("text", "grade"),
    [
        ("G2", Grade.G2),
        ("Grad 2", Grade.G2),
        ("grade 2 of 3", Grade.G2),
        ("well differentiated, G1", Grade.G1),
        ("WHO grade III", Grade.G3),
    ],
)
def test_grade_text(text, grade):
    out = record(loinc_obs("g", "33732-9", valueString=text))
    assert out.grade_reported.value == grade


# --- nodes and pN ---------------------------------------------------------------------------
# Observation-mii-exa-onko-anzahl-befallene-lymphknoten-0.json / -untersuchte-lymphknoten-23.json
MII_NODES_POSITIVE = {
    "resourceType": "Observation",
    "id": "mii-exa-onko-anzahl-befallene-lymphknoten-0",
    "code": {
        "coding": [
            {
                "code": "21893-3",
                "system": LOINC,
                "display": "Regional lymph nodes positive [#] Specimen",
            }
        ]
    },
    "valueQuantity": {"system": UCUM, "code": "1", "value": 0, "unit": "#"},
    "status": "final",
}
MII_NODES_EXAMINED = {
    "resourceType": "Observation",
    "id": "mii-exa-onko-anzahl-untersuchte-lymphknoten-23",
    "code": {
        "coding": [
            {
                "code": "21894-1",
                "system": LOINC,
                "display": "Regional lymph nodes examined [#] Specimen",
            }
        ]
    },
    "valueQuantity": {"system": UCUM, "code": "1", "value": 23, "unit": "#"},
    "status": "final",
}


def test_mii_node_counts():
    out = record(example(MII_NODES_POSITIVE), example(MII_NODES_EXAMINED))
    assert out.nodes_positive.value == 0
    assert out.nodes_examined.value == 23


@pytest.mark.parametrize(
    ("code", "field"), [("443527007", "nodes_positive"), ("444025001", "nodes_examined")]
)
def test_snomed_node_count_observables(code, field):
    # Dutch pathology IG examples: $SCT#443527007 with valueInteger
    out = record(obs("n", cc(SNOMED, code), valueInteger=3))
    assert getattr(out, field).value == 3


def test_mcode_pn_category_with_ajcc_snomed_value():
    # HL7/fhir-mCODE-ig input/fsh/EX_ExtendedExample.fsh,
    # instance tnm-pathologic-regional-nodes-category-jenny-m
    resource = {
        "resourceType": "Observation",
        "id": "tnm-pathologic-regional-nodes-category-jenny-m",
        "status": "final",
        "code": {"coding": [{"system": SNOMED, "code": "371494008", "display": "pN category"}]},
        "valueCodeableConcept": {
            "coding": [
                {
                    "system": SNOMED,
                    "code": "1229947003",
                    "display": "American Joint Committee on Cancer pN0 (qualifier value)",
                }
            ]
        },
    }
    assert record(example(resource, "n")).pn_positive.value is False


@pytest.mark.parametrize(("code", "expected"), [("1229947003", False), ("1229951001", True)])
def test_ajcc_pn_codes_without_display(code, expected):
    out = record(obs("n", cc(SNOMED, "371494008"), valueCodeableConcept=cc(SNOMED, code)))
    assert out.pn_positive.value is expected


def test_mii_pn_category_with_uicc_value():
    # Observation-mii-exa-onko-tnm-n-kategorie-pN0i-sn.json (suffix extensions left out)
    resource = {
        "resourceType": "Observation",
        "id": "mii-exa-onko-tnm-n-kategorie-pN0i-sn",
        "status": "final",
        "code": {
            "coding": [
                {
                    "code": "371494008",
                    "system": SNOMED,
                    "display": "pN category (observable entity)",
                }
            ]
        },
        "valueCodeableConcept": {"coding": [{"code": "N0", "system": UICC, "display": "N0"}]},
    }
    assert record(example(resource, "n")).pn_positive.value is False


def synthea_n(code: str, display: str) -> dict:
    # tnm_diagnosis.json "N1_Diagnosed": LOINC 21906-3 with a SNOMED "N1 category (finding)"
    return obs(
        "n",
        cc(LOINC, "21906-3", display="Regional lymph nodes.clinical [Class] Cancer"),
        valueCodeableConcept=cc(SNOMED, code, display=display),
    )


def test_synthea_n1_is_node_positive():
    fact = record(synthea_n("53623008", "N1 category (finding)")).pn_positive
    assert fact.value is True
    assert "clinical" in (fact.note or "")


def test_synthea_clinical_n0_does_not_establish_pn0():
    out = record(synthea_n("62455006", "N0 category (finding)"))
    assert out.pn_positive.value is None
    assert any("clinical N0 does not establish pN0" in w for w in out.warnings)


# --- UICC L / V / Pn ------------------------------------------------------------------------
def uicc(oid: str, observable: str, code: str) -> dict:
    # Observation-mii-exa-onko-tnm-l-kategorie-L1.json / -v-kategorie-V1 / -pn-kategorie-Pn1
    return obs(oid, cc(SNOMED, observable), valueCodeableConcept=cc(UICC, code, display=code))


L_CODE, V_CODE, PN_CODE = "395715009", "371493002", "371513001"


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ([("l", L_CODE, "L1")], True),
        ([("v", V_CODE, "V2")], True),
        ([("l", L_CODE, "L0"), ("v", V_CODE, "V1")], True),
        ([("l", L_CODE, "L0"), ("v", V_CODE, "V0")], False),
        ([("l", L_CODE, "L0")], None),
        ([("v", V_CODE, "V0")], None),
        ([("l", L_CODE, "LX"), ("v", V_CODE, "V0")], None),
    ],
)
def test_uicc_l_and_v_make_lymphovascular_invasion(resources, expected):
    out = record(*(uicc(*r) for r in resources))
    assert out.lymphovascular_invasion.value is expected


def test_l0_and_v0_name_both_sources():
    out = record(uicc("l", L_CODE, "L0"), uicc("v", V_CODE, "V0"))
    assert set(out.lymphovascular_invasion.sources) == {"Observation/l", "Observation/v"}


def test_l0_alone_warns_that_v_is_missing():
    out = record(uicc("l", L_CODE, "L0"))
    assert any("Observation/l" in w and "V category not on record" in w for w in out.warnings)


@pytest.mark.parametrize(("code", "expected"), [("Pn1", True), ("Pn0", False), ("PnX", None)])
def test_uicc_perineural(code, expected):
    assert record(uicc("p", PN_CODE, code)).perineural_invasion.value is expected


# --- CAP electronic cancer checklist (question/answer, section hasMember tree) ----------------
def cap_question(oid: str, question: str, **value: object) -> dict:
    # HL7/cancer-reporting input/fsh/instances/observation-histologic-grade.fsh shape: code and
    # answer from http://cap.org/eCC (question ids are per protocol; read by their display)
    return obs(oid, cc(CAP, f"{oid}.100004300", display=question), **value)


def test_cap_checklist_section_tree_in_resection_report():
    lvi = cap_question(
        "q-lvi",
        "Lymphovascular Invasion",
        valueCodeableConcept=cc(CAP, "1.1", display="Not identified"),
    )
    grade = cap_question(
        "q-grade",
        "Histologic Grade",
        valueCodeableConcept=cc(CAP, "2.1", display="G2, 2 to 20 mitoses per 2 mm2"),
    )
    size = cap_question("q-size", "Greatest Dimension (Centimeters)", valueString="3.2")
    section = obs(
        "section-tumor",
        cc(CAP, "sec.100004300", display="TUMOR"),
        hasMember=[{"reference": f"Observation/{o['id']}"} for o in (lvi, grade, size)],
    )
    report = {
        "resourceType": "DiagnosticReport",
        "id": "path",
        "status": "final",
        "subject": SUBJECT,
        "code": cc(text="Pancreas (endocrine) resection, CAP checklist"),
        "result": [{"reference": "Observation/section-tumor"}],
    }
    biopsy_grade = loinc_obs("biopsy", "33732-9", valueString="G1", when="2024-06-01")
    out = record(report, section, lvi, grade, size, biopsy_grade)
    assert out.lymphovascular_invasion.value is False
    assert out.tumor_size_cm.value == pytest.approx(3.2)
    # the resection checklist's grade beats a later biopsy through the hasMember tree
    assert out.grade_reported.value == Grade.G2
    assert out.grade_reported.sources[0] == "Observation/q-grade"


def test_cap_node_questions_by_display():
    out = record(
        cap_question("q-ex", "Number of Lymph Nodes Examined", valueInteger=14),
        cap_question("q-pos", "Number of Lymph Nodes with Tumor", valueInteger=0),
    )
    assert (out.nodes_examined.value, out.nodes_positive.value) == (14, 0)


# --- value shapes (§3.3) --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("observation", "expected"),
    [
        (obs("s", cc(text="Tumor size [mm]"), valueQuantity={"value": 32}), 3.2),
        (obs("s", cc(text="Tumor size [mm]"), valueInteger=32), 3.2),
        (loinc_obs("s", "33728-7", valueString="32 mm"), 3.2),
        (loinc_obs("s", "33728-7", valueString="3,2 cm"), 3.2),
        (loinc_obs("s", "33728-7", valueString="2.6 x 2.1 x 1.9 cm"), 2.6),
        (loinc_obs("s", "33728-7", valueString="approximately 32 mm"), 3.2),
        (loinc_obs("s", "33728-7", valueString="ca. 3 cm"), 3.0),
        (loinc_obs("s", "33728-7", valueString="~3 cm"), 3.0),
        (loinc_obs("s", "33728-7", valueString="<1 cm"), 1.0),
        (loinc_obs("s", "33728-7", valueString=">5 cm"), None),
        (loinc_obs("s", "33728-7", valueString="32"), None),
        (loinc_obs("s", "33728-7", valueString="2-3 x 4 cm"), None),
    ],
)
def test_size_value_shapes(observation, expected):
    assert record(observation).tumor_size_cm.value == (
        pytest.approx(expected) if expected else None
    )


def test_largest_dimension_is_noted():
    fact = record(loinc_obs("s", "33728-7", valueString="2.6 x 2.1 x 1.9 cm")).tumor_size_cm
    assert "largest of the dimensions" in (fact.note or "")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"valueString": "3-5 %"}, 5.0),
        ({"valueString": "3 to 5 %"}, 5.0),
        ({"valueString": "approximately 8 %"}, 8.0),
        ({"valueString": "ca. 8%"}, 8.0),
        ({"valueString": "~8 %"}, 8.0),
        ({"valueString": "8,5 %"}, 8.5),
        ({"valueString": "<1 %"}, 1.0),
        ({"valueString": "> 20 %"}, None),
        ({"valueRange": {"low": qty(3, "%"), "high": qty(5, "%")}}, 5.0),
        ({"valueRange": {"low": qty(20, "%")}}, None),
    ],
)
def test_ki67_value_shapes(value, expected):
    assert record(loinc_obs("k", "29593-1", **value)).ki67_percent.value == expected


def test_ki67_range_notes_the_upper_bound():
    fact = record(loinc_obs("k", "29593-1", valueString="3-5 %")).ki67_percent
    assert "upper bound 5" in (fact.note or "")


@pytest.mark.parametrize(
    "value",
    [
        {"valueString": "0/14"},
        {"valueRatio": {"numerator": {"value": 0}, "denominator": {"value": 14}}},
    ],
)
def test_node_ratio_gives_positive_and_examined(value):
    out = record(loinc_obs("n", "21893-3", **value))
    assert (out.nodes_positive.value, out.nodes_examined.value) == (0, 14)
    assert out.nodes_positive.sources == out.nodes_examined.sources == ("Observation/n",)


def test_node_ratio_with_more_positive_than_examined_is_refused():
    out = record(loinc_obs("n", "21893-3", valueString="15/14"))
    assert out.nodes_positive.value is None and out.nodes_examined.value is None
    assert any("more positive than examined" in w for w in out.warnings)


@pytest.mark.parametrize(
    "value",
    [
        {"valueString": "pN0 (0/14)"},
        {"valueCodeableConcept": cc(text="pN0(0/14)")},
    ],
)
def test_pn_category_with_node_counts(value):
    # UICC / CAP synoptic style: the counts in parentheses after the category
    out = record(loinc_obs("n", "21900-6", **value))
    assert out.pn_positive.value is False
    assert (out.nodes_positive.value, out.nodes_examined.value) == (0, 14)


def test_pn_category_without_counts_gives_no_counts_and_no_warning():
    out = record(loinc_obs("n", "21900-6", valueString="pN0"))
    assert out.nodes_examined.value is None
    assert not any("nodes" in w for w in out.warnings)


def test_uncoded_lymphatic_and_venous_invasion_text_are_the_l_and_v_halves():
    lymphatic = obs("l", cc(text="Lymphatic invasion"), valueString="not identified")
    venous = obs("v", cc(text="Venous invasion"), valueString="not identified")
    assert record(lymphatic).lymphovascular_invasion.value is None
    assert record(lymphatic, venous).lymphovascular_invasion.value is False
    present = obs("v", cc(text="Venous (large vessel) invasion"), valueString="V1")
    assert record(present).lymphovascular_invasion.value is True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("keine Lymphgefäßinvasion", False),
        ("kein Nachweis", False),
        ("nicht nachweisbar", False),
        ("nachweisbar", True),
        ("keine Aussage möglich", None),  # "no statement possible" is not "absent"
        ("nicht beurteilbar", None),
    ],
)
def test_german_presence_answers(text, expected):
    # MII records carry German answer text (e.g. "nicht nachweisbar")
    assert record(loinc_obs("l", "33761-8", valueString=text)).lymphovascular_invasion.value is (
        expected
    )


def test_preliminary_pn_is_named_once_not_once_per_reader():
    out = record(loinc_obs("n", "21900-6", status="preliminary", valueString="pN0 (0/14)"))
    assert out.pn_positive.value is None and out.nodes_examined.value is None
    assert [w for w in out.warnings if "Observation/n" in w] == [
        "Observation/n: pN category with status 'preliminary' not used"
    ]


@pytest.mark.parametrize(
    ("name", "value", "field", "expected"),
    [
        ("Size of tumor", {"valueQuantity": qty(2.5, "cm")}, "tumor_size_cm", 2.5),
        ("Tumorgröße", {"valueQuantity": qty(25, "mm")}, "tumor_size_cm", 2.5),
        ("Größte Ausdehnung (mm)", {"valueInteger": 25}, "tumor_size_cm", 2.5),
        ("Anzahl befallene Lymphknoten", {"valueInteger": 1}, "nodes_positive", 1),
        ("Anzahl untersuchte Lymphknoten", {"valueInteger": 12}, "nodes_examined", 12),
    ],
)
def test_local_codes_read_by_their_english_or_german_name(name, value, field, expected):
    # EHR-local codes that carry only text (clinical.md §3.3)
    out = record(obs("o", cc("urn:local:codes", "X1", display=name), **value))
    assert getattr(out, field).value == pytest.approx(expected)


# CAP eCC pN question (HL7/cancer-reporting observation-ptnm-classification-pN-Category.fsh):
# CAP question and answer codes only, the category named by the question and the "pN0" answer
@pytest.mark.parametrize(
    ("question", "answer", "expected"),
    [
        ("pN Category", "pN0: No regional lymph node metastasis identified or ITCs only#", False),
        ("pN Category", "pN1: Metastasis in one to three regional lymph nodes", True),
        ("pN Category", "pNX: Regional lymph nodes cannot be assessed", None),
    ],
)
def test_cap_pn_category_question_is_pathological(question, answer, expected):
    observation = obs(
        "q-pn",
        cc(CAP, "763178.100004300", display=question),
        valueCodeableConcept=cc(CAP, "38649.100004300", display=answer),
    )
    assert record(observation).pn_positive.value is expected
