"""Pathology inputs: units, status rules, selection, conflicts, text fallbacks, HER2 ≠ Ki-67."""

from __future__ import annotations

import pytest
from test_mappers_factories import (
    LOINC,
    SNOMED,
    cc,
    loinc_obs,
    obs,
    qty,
    record,
)

from scoring.inputs import Grade


def size(oid="s", value=2.6, unit="cm", **kw):
    return loinc_obs(oid, "33728-7", valueQuantity=qty(value, unit), **kw)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (2.6, "cm", 2.6),
        (26, "mm", 2.6),
        (20, "mm", 2.0),
        (21, "mm", 2.1),
        (2.0, "cm", 2.0),
        (30, "mm", 3.0),
        (29.9, "mm", 2.99),
        (0.5, "cm", 0.5),
        (1, "mm", 0.1),
    ],
)
def test_size_converts_mm_to_cm(value, unit, expected):
    fact = record(size(value=value, unit=unit)).tumor_size_cm
    assert fact.value == pytest.approx(expected)
    assert fact.sources == ("Observation/s",)


def test_size_unit_only_in_unit_text_is_accepted():
    o = loinc_obs("s", "33728-7", valueQuantity={"value": 15, "unit": "mm"})
    assert record(o).tumor_size_cm.value == pytest.approx(1.5)


@pytest.mark.parametrize(
    ("q", "why"),
    [
        ({"value": 2.5}, "no unit"),
        (qty(1, "in"), "not cm or mm"),
        (qty(0, "cm"), "not positive"),
        (qty(-1, "cm"), "not positive"),
        (qty(None, "cm"), "without a value"),
        (qty(2, "cm", comparator=">"), "exact value"),
    ],
)
def test_size_without_usable_unit_or_value_is_unknown_with_warning(q, why):
    out = record(loinc_obs("s", "33728-7", valueQuantity=q))
    assert out.tumor_size_cm.value is None
    assert any("Observation/s" in w and why in w for w in out.warnings)


def test_size_upper_bound_is_used_as_value_with_note():
    o = loinc_obs("s", "33728-7", valueQuantity=qty(1, "cm", comparator="<"))
    fact = record(o).tumor_size_cm
    assert fact.value == 1.0 and "reported as <1" in (fact.note or "")


def test_size_from_panel_component():
    panel = obs(
        "panel",
        cc(LOINC, "21889-1"),
        component=[
            {"code": cc(LOINC, "33728-7"), "valueQuantity": qty(35, "mm")},
            {"code": cc(LOINC, "33729-5"), "valueQuantity": qty(20, "mm")},
        ],
    )
    fact = record(panel).tumor_size_cm
    assert fact.value == pytest.approx(3.5) and fact.sources == ("Observation/panel",)


def test_size_string_value_with_unit():
    o = loinc_obs("s", "33728-7", valueString="18 mm")
    assert record(o).tumor_size_cm.value == pytest.approx(1.8)


@pytest.mark.parametrize(
    "status", ["preliminary", "registered", "cancelled", "entered-in-error", "unknown"]
)
def test_non_final_observations_are_not_used_but_noted(status):
    out = record(size(status=status))
    assert out.tumor_size_cm.value is None
    assert any("Observation/s" in w and status in w for w in out.warnings)


@pytest.mark.parametrize("status", ["final", "amended", "corrected"])
def test_final_amended_corrected_are_used(status):
    assert record(size(status=status)).tumor_size_cm.value == 2.6


def test_latest_value_wins_when_no_resection_specimen():
    out = record(size("old", 1.0, when="2024-03-05"), size("new", 3.0, when="2024-03-09"))
    assert out.tumor_size_cm.value == 3.0
    assert out.tumor_size_cm.sources == ("Observation/new",)
    assert "latest" in (out.tumor_size_cm.note or "")


def test_undated_value_loses_to_dated():
    out = record(size("nodate", 5.0, when=None), size("dated", 1.0))
    assert out.tumor_size_cm.value == 1.0


def test_resection_specimen_value_beats_later_biopsy_value():
    specimen = {
        "resourceType": "Specimen",
        "id": "sp",
        "subject": {"reference": "Patient/pt"},
        "type": cc(text="Pancreas, distal pancreatectomy specimen"),
    }
    biopsy = {"resourceType": "Specimen", "id": "bx", "type": cc(text="Pancreas, EUS-FNA")}
    out = record(
        specimen,
        biopsy,
        size("res", 2.0, when="2024-03-08", specimen={"reference": "Specimen/sp"}),
        size("bx", 3.5, when="2024-04-01", specimen={"reference": "Specimen/bx"}),
    )
    assert out.tumor_size_cm.value == 2.0
    assert "resection specimen" in (out.tumor_size_cm.note or "")


def test_part_of_resection_procedure_counts_as_resection_specimen():
    out = record(
        size("res", 2.0, when="2024-03-01", partOf=[{"reference": "Procedure/surgery"}]),
        size("later", 3.0, when="2024-05-01"),
    )
    assert out.tumor_size_cm.value == 2.0


def test_observation_in_resection_report_counts_as_resection_specimen():
    report = {
        "resourceType": "DiagnosticReport",
        "subject": {"reference": "Patient/pt"},
        "id": "path",
        "status": "final",
        "code": cc(text="Surgical pathology: Whipple resection"),
        "result": [{"reference": "Observation/res"}],
    }
    out = record(report, size("res", 2.0, when="2024-03-01"), size("other", 4.0, when="2024-06-01"))
    assert out.tumor_size_cm.value == 2.0


def test_contained_result_of_resection_report_is_used_with_container_reference():
    contained = loinc_obs("k", "29593-1", valueQuantity=qty(4, "%"))
    report = {
        "resourceType": "DiagnosticReport",
        "subject": {"reference": "Patient/pt"},
        "id": "path",
        "status": "final",
        "code": cc(text="Distal pancreatectomy pathology"),
        "contained": [contained],
        "result": [{"reference": "#k"}],
    }
    out = record(report, loinc_obs("k2", "29593-1", valueQuantity=qty(1, "%"), when="2024-09-01"))
    assert out.ki67_percent.value == 4.0
    assert out.ki67_percent.sources == ("DiagnosticReport/path#k",)


def test_conflicting_equally_final_values_use_the_worse_with_note():
    out = record(size("a", 1.8), size("b", 2.4))
    fact = out.tumor_size_cm
    assert fact.value == 2.4
    assert set(fact.sources) == {"Observation/a", "Observation/b"}
    assert fact.sources[0] == "Observation/b"
    assert "conflicting" in fact.note and "higher-risk" in fact.note


def test_conflicting_lvi_uses_present():
    present = loinc_obs("l1", "33761-8", valueCodeableConcept=cc(SNOMED, "52101004"))
    absent = loinc_obs("l2", "33761-8", valueCodeableConcept=cc(SNOMED, "47492008"))
    fact = record(present, absent).lymphovascular_invasion
    assert fact.value is True and "conflicting" in fact.note


def test_conflicting_nodes_examined_uses_fewer():
    a = loinc_obs("n1", "21894-1", valueInteger=12)
    b = loinc_obs("n2", "21894-1", valueInteger=7)
    assert record(a, b).nodes_examined.value == 7


def test_ki67_percent_and_her2_is_never_ki67():
    her2 = loinc_obs("her2", "85319-2", valueQuantity=qty(30, "%"))
    her2_text = obs(
        "her2b", cc(LOINC, "85319-2", text="Ki-67 (mislabelled)"), valueQuantity=qty(40, "%")
    )
    out = record(her2, her2_text)
    assert out.ki67_percent.value is None
    out = record(her2, loinc_obs("k", "29593-1", valueQuantity=qty(2.5, "%")))
    assert out.ki67_percent.value == 2.5 and out.ki67_percent.sources == ("Observation/k",)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        (qty(3, "%"), 3.0),
        (qty(20, "%"), 20.0),
        (qty(0, "%"), 0.0),
        (qty(100, "%"), 100.0),
        (qty(2, "%", comparator="<"), 2.0),
        ({"value": 7}, None),
        (qty(150, "%"), None),
        (qty(30, "%", comparator=">"), None),
        (qty(5, "mm"), None),
    ],
)
def test_ki67_requires_percent(q, expected):
    assert record(loinc_obs("k", "29593-1", valueQuantity=q)).ki67_percent.value == expected


def test_ki67_text_fallback_without_code():
    o = obs("k", cc(text="Ki-67 labelling index"), valueQuantity=qty(12, "%"))
    assert record(o).ki67_percent.value == 12.0


@pytest.mark.parametrize(
    ("value", "grade"),
    [
        ({"valueCodeableConcept": cc(SNOMED, "1155708003")}, Grade.G1),
        ({"valueCodeableConcept": cc(SNOMED, "1286893008")}, Grade.G2),
        ({"valueCodeableConcept": cc(SNOMED, "1155707008")}, Grade.G3),
        ({"valueCodeableConcept": cc(text="G2")}, Grade.G2),
        ({"valueString": "WHO grade 3"}, Grade.G3),
        ({"valueString": "Grade II"}, Grade.G2),
        ({"valueString": "low grade"}, Grade.G1),
        ({"valueString": "Intermediate grade"}, Grade.G2),
        ({"valueString": "high-grade"}, Grade.G3),
        ({"valueString": "G1"}, Grade.G1),
        ({"valueString": "GX"}, None),
        ({"valueString": "G1 or G2"}, None),
    ],
)
def test_grade_codes_and_text(value, grade):
    assert record(loinc_obs("g", "33732-9", **value)).grade_reported.value == grade


def test_grade_text_fallback_for_uncoded_observation():
    o = obs("g", cc(text="Histologic grade"), valueString="G2")
    assert record(o).grade_reported.value == Grade.G2


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"valueCodeableConcept": cc(SNOMED, "52101004")}, True),
        ({"valueCodeableConcept": cc(SNOMED, "47492008")}, False),
        ({"valueCodeableConcept": cc(SNOMED, "2667000")}, False),
        ({"valueCodeableConcept": cc(text="Present")}, True),
        ({"valueCodeableConcept": cc(text="Not identified")}, False),
        ({"valueString": "absent"}, False),
        ({"valueString": "cannot be determined"}, None),
        ({"valueBoolean": True}, True),
    ],
)
def test_lvi_codes_and_text(value, expected):
    assert record(loinc_obs("l", "33761-8", **value)).lymphovascular_invasion.value is expected


def test_lvi_and_perineural_text_fallbacks():
    lvi = obs("l", cc(text="Lymphovascular invasion"), valueString="not identified")
    pni = obs("p", cc(text="Perineural invasion"), valueString="present")
    out = record(lvi, pni)
    assert out.lymphovascular_invasion.value is False
    assert out.perineural_invasion.value is True


def test_perineural_by_code():
    o = loinc_obs("p", "92837-4", valueCodeableConcept=cc(SNOMED, "52101004"))
    assert record(o).perineural_invasion.value is True


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"valueInteger": 14}, 14),
        ({"valueInteger": 0}, 0),
        ({"valueQuantity": {"value": 9}}, 9),
        ({"valueString": "12"}, 12),
        ({"valueQuantity": {"value": 2.5}}, None),
        ({"valueInteger": -1}, None),
    ],
)
def test_node_counts(value, expected):
    assert record(loinc_obs("n", "21894-1", **value)).nodes_examined.value == expected
    assert record(loinc_obs("n", "21893-3", **value)).nodes_positive.value == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (cc("http://cancerstaging.org", "pN0"), False),
        (cc("http://cancerstaging.org", "pN1"), True),
        (cc(text="pN1a"), True),
        (cc(text="N0"), False),
        (cc(text="ypN2"), True),
        (cc(text="pNX"), None),
        (cc(SNOMED, "xxx", display="pN1 category"), True),
    ],
)
def test_pn_category(value, expected):
    assert (
        record(loinc_obs("pn", "21900-6", valueCodeableConcept=value)).pn_positive.value is expected
    )
    o = obs("pn", cc(SNOMED, "371494008"), valueCodeableConcept=value)
    assert record(o).pn_positive.value is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (qty(3, "/2.mm2"), 3.0),
        (qty(0, "{mitoses}/2.mm2"), 0.0),
        (qty(4, "/10.HPF"), None),
        ({"value": 5}, None),
    ],
)
def test_mitoses_need_per_2mm2(value, expected):
    o = obs("m", cc(text="Mitotic count"), valueQuantity=value)
    assert record(o).mitoses_per_2mm2.value == expected


def test_mitoses_unit_in_name():
    o = obs("m", cc(text="Mitoses per 2 mm2"), valueInteger=7)
    assert record(o).mitoses_per_2mm2.value == 7.0


def test_partial_effective_dates_are_ordered():
    out = record(size("y", 1.0, when="2023"), size("m", 4.0, when="2024-02"))
    assert out.tumor_size_cm.value == 4.0
