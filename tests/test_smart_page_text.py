"""What the SMART app's pages say, from real assessments of the shared cases and a record whose
pathology is only report text (issue 14): the case header, the guideline flags, why a tier is
undetermined, how long imaging is overdue, the resource summary and confirming or correcting a
value read from report text in "what if"."""

from __future__ import annotations

import html
import json
import re
from datetime import date
from pathlib import Path

import pytest

from cds_service.cards.action import M_UNKNOWN_CAVEAT, metastasis_status_unknown
from cds_service.cards.wording import value_words
from cds_service.scoring_pipeline import assess_resources
from cds_service.smart.case_header import age_on, case_header, medical_record_number
from cds_service.smart.resource_summary import summarise
from cds_service.smart.summary_text import (
    flag_lines,
    overdue_text,
    undetermined_reason,
    warning_parts,
)
from cds_service.smart.whatif import (
    CONFIRMED_SOURCE,
    ENTERED_SOURCE,
    apply_what_if,
    editable_fields,
    entries,
    parse_confirmations,
    parse_form,
    text_fields,
)
from fhir_mappers.record import inputs_from_resources
from scoring.assessment import Tier

DATA = Path(__file__).parent / "data"
TODAY = date(2026, 12, 1)


def _resources(path: Path) -> list[dict]:
    return [e["resource"] for e in json.loads(path.read_text())["entry"]]


def _case(name: str) -> list[dict]:
    return _resources(DATA / "cases" / f"{name}.bundle.json")


def _text_case() -> list[dict]:
    return _resources(DATA / "smart" / "t01-report-text.bundle.json")


def test_age_and_mrn_come_from_the_patient_as_recorded():
    assert age_on("1966-05-17", TODAY) == 60 and age_on("1966-12-02", TODAY) == 59
    assert age_on("1966", TODAY) is None and age_on(None, TODAY) is None
    assert age_on("2030-01-01", TODAY) is None and age_on("1966-02-30", TODAY) is None
    patient = _text_case()[0]
    assert medical_record_number(patient) == "MRN-400117"
    other = {"identifier": [{"system": "urn:x", "value": "123"}, "junk", {"type": "bad"}]}
    assert medical_record_number(other) is None


def test_the_header_names_resection_and_pathology_with_unknowns_shown():
    header = case_header(assess_resources(_case("p04"), today=TODAY))
    assert (header.resection_date, header.procedure) == (
        "2024-03-04",
        "Pancreatectomy, distal subtotal",
    )
    assert header.resection_source == "Procedure/p04-surgery"
    assert [i.text for i in header.pathology] == [
        "size 2.4 cm",
        "grade unknown",
        "Ki-67 unknown",
        "nodes 0/10 positive",
        "LVI yes",
    ]
    assert [i.known for i in header.pathology] == [True, False, False, True, True]
    assert header.text_derived == []


def test_the_header_marks_and_quotes_values_read_from_report_text():
    header = case_header(assess_resources(_text_case(), today=TODAY))
    assert [i.text for i in header.pathology] == [
        "size 3.2 cm",
        "grade G2",
        "Ki-67 8 %",
        "nodes 0/14 positive",
        "LVI no",
    ]
    quotes = {i.label: i.quote for i in header.text_derived}
    assert quotes["Ki-67"] == "Ki-67 Labeling Index: 8 %"
    assert quotes["nodes"] == "Number of Lymph Nodes Involved: 0"
    assert all(i.sources == ("DiagnosticReport/t01-pathology",) for i in header.text_derived)


def _flags(case: list[dict], scheduled: Tier | None) -> list[str]:
    return [f.text for f in flag_lines(inputs_from_resources(case), scheduled)]


def test_flags_name_no_ids_and_drop_the_floor_beside_a_high_schedule():
    assert _flags(_case("p03"), Tier.HIGH) == ["Lymph-node positive: yes", "Ki-67 > 5 %: yes"]
    floor = "at least intermediate-intensity surveillance (CommNETS/NANETS)"
    assert _flags(_case("p03"), Tier.INTERMEDIATE)[0] == f"Lymph-node positive: yes, so {floor}"
    assert _flags(_case("p04"), Tier.LOW)[1] == f"Ki-67 > 5 %: unknown; if so, {floor}"
    assert _flags(_case("p04"), Tier.HIGH)[1] == "Ki-67 > 5 %: unknown"
    lines = flag_lines(inputs_from_resources(_case("p04")), Tier.HIGH)
    assert lines[0].sources and len(set(lines[0].sources)) == len(lines[0].sources)
    assert not any("/" in line for line in _flags(_case("p02"), Tier.VERY_LOW))


def test_an_undetermined_tier_says_why_in_one_sentence():
    why = undetermined_reason(assess_resources(_case("p04"), today=TODAY))
    assert why == (
        "Several tiers are still possible (low, intermediate and high), so surveillance is "
        "scheduled by the highest possible tier, high, until symptoms at presentation (jaundice, "
        "abdominal pain, GI bleeding) and Ki-67 index are recorded."
    )
    assert undetermined_reason(assess_resources(_case("p03"), today=TODAY)) is None


def _corpus(case: str):
    return assess_resources(_resources(DATA / "realworld" / f"{case}.bundle.json"), today=TODAY)


def test_why_undetermined_never_promises_a_lighter_schedule_no_data_could_give():
    # rw13: a small-bowel NET; only the factors-only liver score applies, so no value recorded
    # would give a tier: the page says so, as the card does, instead of "until ... recorded".
    rw13 = _corpus("rw13")
    assert rw13.surveillance.lighter_if_known == []
    assert undetermined_reason(rw13) == (
        "No score with published points and cut-offs gives this patient a tier, so surveillance "
        "is scheduled as high, as nothing in the record shows a lower risk."
    )
    # rw16: low or intermediate, node-positive: the guideline floor keeps intermediate whatever
    # the symptoms turn out to be.
    rw16 = _corpus("rw16")
    assert rw16.surveillance.lighter_if_known == [] and rw16.possible_tiers
    assert undetermined_reason(rw16) == (
        "Several tiers are still possible (low and intermediate), so surveillance is scheduled "
        "by the highest possible tier, intermediate; no missing value could make it lighter."
    )
    # rw27: no tier, but recording the nodes could allow a lighter schedule.
    assert undetermined_reason(_corpus("rw27")) == (
        "No score with published points and cut-offs gives this patient a tier, so surveillance "
        "is scheduled as high until regional lymph nodes positive or pN category is recorded."
    )


def test_overdue_says_since_when_and_that_nothing_was_imaged_since_the_resection():
    a = assess_resources(_case("p03"), today=TODAY)
    # The same words as the card's first line: "overdue since 2024-09-04, by 2 years 2 months".
    assert overdue_text(a.surveillance, a.today) == (
        "overdue since 2024-09-04, by 2 years 2 months: no abdominal CT/MRI on record since the "
        "resection on 2024-03-04"
    )
    text = assess_resources(_text_case(), today=TODAY)
    assert overdue_text(text.surveillance, text.today) is None


def test_the_resource_summary_reads_values_dates_and_a_reports_text():
    observation = next(r for r in _case("p02") if r["resourceType"] == "Observation")
    summary = summarise(observation)
    assert summary.title == "Result: Size.maximum dimension in Tumor"
    assert dict(summary.rows)["Value"] == "12 mm" and dict(summary.rows)["Status"] == "final"
    report = next(r for r in _text_case() if r["resourceType"] == "DiagnosticReport")
    summary = summarise(report)
    assert summary.title == "Report: Pathology Synoptic report"
    assert "Ki-67 Labeling Index: 8 %" in summary.texts[0][1]
    html = {**report, "presentedForm": [{"contentType": "text/html", "data": "PGI+RzI8L2I+"}]}
    assert summarise(html).texts == [("Attached report 1 (text/html)", "G2")]


@pytest.mark.parametrize(
    "resource",
    [
        {},
        {"resourceType": "Observation", "code": "x", "valueQuantity": {"value": "a"}},
        {"resourceType": "DiagnosticReport", "presentedForm": [{"data": "%%%"}, 3, None]},
        {"resourceType": "Procedure", "performedPeriod": {"start": 1}, "note": ["x", {"text": 2}]},
    ],
)
def test_the_resource_summary_tolerates_any_shape(resource):
    summary = summarise(resource)
    assert summary.title and isinstance(summary.rows, list)


def test_a_value_read_from_text_can_be_confirmed_or_corrected_never_a_discrete_one():
    inputs = inputs_from_resources(_text_case())
    texts = text_fields(inputs)
    assert {f.name for f in texts} >= {"ki67_percent", "tumor_size_cm", "nodes_positive"}
    assert not {f.name for f in texts} & {f.name for f in editable_fields(inputs)}
    raw = {"confirm-ki67_percent": "yes", "tumor_size_cm": "1.5"}
    form, error = parse_form(raw, editable_fields(inputs) + texts)
    confirmed, problem = parse_confirmations(raw, texts, form)
    assert (error, problem, confirmed) == ("", "", frozenset({"ki67_percent"}))
    changed = apply_what_if(inputs, form, confirmed)
    assert changed.ki67_percent.value == 8.0 and changed.ki67_percent.quote is None
    assert changed.ki67_percent.sources == (CONFIRMED_SOURCE, "DiagnosticReport/t01-pathology")
    assert (changed.tumor_size_cm.value, changed.tumor_size_cm.sources) == (1.5, (ENTERED_SOURCE,))
    assert [(e.label, e.value, e.how, e.read) for e in entries(inputs, form, confirmed)] == [
        ("Tumour greatest dimension", "1.5", "corrected", "3.2"),
        ("Ki-67 index", "8", "confirmed", None),
    ]
    both = {"confirm-ki67_percent": "yes", "ki67_percent": "9"}
    form, _ = parse_form(both, texts)
    assert "either confirm" in parse_confirmations(both, texts, form)[1]
    discrete = inputs_from_resources(_case("p02"))
    form, _ = parse_form({}, [])
    assert parse_confirmations({"confirm-ki67_percent": "yes"}, text_fields(discrete), form)[1]
    assert "already has a value" in parse_form({"ki67_percent": "9"}, [])[1]


def test_the_page_shows_an_input_enum_value_as_words():
    from jinja2 import Environment, FileSystemLoader

    from cds_service.smart.blueprint import bp

    env = Environment(loader=FileSystemLoader(Path(bp.root_path) / "templates"), autoescape=True)
    env.filters.update(value_words=value_words)
    macros = env.get_template("smart/_macros.html").module
    assert str(macros.input_value("other-gep")) == (
        "gastro-entero-pancreatic site other than the pancreas"
    )
    assert str(macros.input_value("pancreas")) == "pancreas"


def test_a_warning_names_its_resource_apart_from_the_sentence():
    assert warning_parts(
        "DiagnosticReport/r-1: distant metastasis unknown: stated as uncertain"
    ) == (
        "DiagnosticReport/r-1",
        "Distant metastasis unknown: stated as uncertain",
    )
    unread = "Could not be read from the EHR: results (Observation) (HTTP 500)"
    assert warning_parts(unread) == (None, unread)


def test_the_what_if_field_names_the_symptoms_as_the_scores_do():
    field = next(
        f for f in editable_fields(inputs_from_resources(_case("p04"))) if f.name == "symptomatic"
    )
    assert field.label == "Symptomatic at presentation (jaundice, abdominal pain, GI bleeding)"


def _summary_html(case: list[dict]) -> str:
    from jinja2 import Environment, FileSystemLoader

    from cds_service.smart.blueprint import bp

    env = Environment(loader=FileSystemLoader(Path(bp.root_path) / "templates"), autoescape=True)
    env.tests["m_status_unknown"] = metastasis_status_unknown  # as the blueprint registers it
    env.globals["m_unknown_caveat"] = M_UNKNOWN_CAVEAT
    macros = env.get_template("smart/_macros.html").module
    text = str(macros.summary(assess_resources(case, today=TODAY)))
    return html.unescape(" ".join(re.sub(r"<[^>]+>", "", text).split()))


def test_a_tier_while_m_status_is_unknown_says_it_assumes_no_metastasis():
    # p02: low tier, no M category or metastasis on record
    assert "Distant metastasis at surgery: not recorded. The tier and schedule assume" in (
        _summary_html(_case("p02"))
    )


def test_the_schedule_line_does_not_repeat_its_tier():
    # p02: "very low — very low: G1, N0, ..." said the tier twice; p03: "high — overall tier high".
    assert "Surveillance scheduled as very low — G1, N0, < 2 cm and low risk" in _summary_html(
        _case("p02")
    )
    assert "Surveillance scheduled as high — set by the overall tier" in _summary_html(_case("p03"))


def test_an_exam_due_soon_reads_due_now_not_due_twice():
    # t01: month 18 due 2026-12-10, nine days after today: "Next imaging due: 2026-12-10 due".
    assert "Next imaging due: 2026-12-10, due now" in _summary_html(_text_case())


def test_a_flag_from_report_text_is_marked_as_such():
    # t01: nodes and Ki-67 are read from the report text only; p03's are discrete.
    text = flag_lines(inputs_from_resources(_text_case()), Tier.INTERMEDIATE)
    assert [f.from_text for f in text] == [True, True]
    discrete = flag_lines(inputs_from_resources(_case("p03")), Tier.HIGH)
    assert [f.from_text for f in discrete] == [False, False]
