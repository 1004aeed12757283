"""The report corpus (`tests/data/reports/`, 40+ reports: synoptic text and HTML, narrative,
PDF, traps, text-vs-discrete disagreement, amended / preliminary): each report read through
`inputs_from_resources` gives its expected inputs, quotes its phrase, and never the dangerous
misreading its trap names."""

from __future__ import annotations

import re

import pytest
from report_text_support import case_ids, record_for

from fhir_mappers.index import RecordIndex
from fhir_mappers.record import inputs_from_resources
from fhir_mappers.report_text.documents import readable_reports

CASES = case_ids()
_SPECIAL = {"diagnosis_from_text", "resection_from_text", "disagreement", "quoted", "not_quoted"}


def _value(fact):
    value = fact.value
    return value.value if hasattr(value, "value") else value


def test_corpus_has_at_least_40_reports_of_every_kind():
    kinds = {}
    for case in CASES:
        _, meta, _ = record_for(case)
        kinds.setdefault(meta["kind"], []).append(case)
    assert len(CASES) >= 40
    for kind in (
        "synoptic-text",
        "synoptic-html",
        "narrative",
        "pdf",
        "trap",
        "disagree",
        "amended",
    ):
        assert kinds.get(kind), kind


@pytest.mark.parametrize("case", CASES)
def test_report_reads_as_expected(case):
    resources, meta, ref = record_for(case)
    inputs = inputs_from_resources(resources)
    expected = meta["expected"]
    for name, want in expected.items():
        if name in _SPECIAL or name == "source":
            continue
        fact = getattr(inputs, name)
        assert _value(fact) == want, f"{case}: {name} = {fact} (expected {want})"
        if want is not None and "observations" not in meta:
            assert fact.quote, f"{case}: {name} has no quote"
            assert ref in fact.sources
    if "source" in expected:
        assert all(ref in getattr(inputs, n).sources for n in expected if n.endswith("percent"))
    if expected.get("diagnosis_from_text"):
        assert inputs.diagnosis == ref
    if expected.get("resection_from_text"):
        assert inputs.resection is not None and inputs.resection.source == ref
    if "disagreement" in expected:
        disagreeing = {
            n
            for n in ("ki67_percent", "lymphovascular_invasion", "tumor_size_cm")
            if getattr(inputs, n).text_disagreement
        }
        assert disagreeing == set(expected["disagreement"])
    for name in expected.get("quoted", []):
        assert getattr(inputs, name).quote
    for name in expected.get("not_quoted", []):
        assert getattr(inputs, name).quote is None


@pytest.mark.parametrize("case", [c for c in CASES if record_for(c)[1].get("must_not_read")])
def test_trap_is_not_misread(case):
    resources, meta, _ = record_for(case)
    inputs = inputs_from_resources(resources)
    for name, forbidden in meta["must_not_read"].items():
        if name == "resection_from_text":
            continue
        assert _value(getattr(inputs, name)) != forbidden, f"{case}: {meta['trap']}"


@pytest.mark.parametrize("case", CASES)
def test_every_quote_is_an_exact_phrase_of_the_report(case):
    resources, _, _ = record_for(case)
    inputs = inputs_from_resources(resources)
    index = RecordIndex(resources)
    texts = [p.text for r in readable_reports(index, []) for p in r.pieces]
    flat = " ".join(" ".join(texts).split())
    for name in (
        "tumor_size_cm",
        "ki67_percent",
        "lymphovascular_invasion",
        "grade_reported",
        "nodes_examined",
        "nodes_positive",
        "perineural_invasion",
    ):
        quote = getattr(inputs, name).quote
        if quote:
            for part in quote.split(" … "):
                assert " ".join(part.split()) in flat, (case, name, quote)


def test_preliminary_and_replaced_reports_are_named_in_the_warnings():
    for case, says in (
        ("a02-preliminary-not-read", "status 'preliminary'"),
        ("a01-amended-ki67", "replaced by DiagnosticReport/rep-amended"),
    ):
        resources, _, _ = record_for(case)
        warnings = inputs_from_resources(resources).warnings
        assert any(says in w for w in warnings), warnings


def test_recurrence_after_surgery_is_not_metastasis_at_surgery():
    resources, _, _ = record_for("n07-narrative-recurrence")
    inputs = inputs_from_resources(resources)
    assert inputs.recurrence.value is True
    assert inputs.metastatic_at_surgery.value is not True
    assert re.search(r"recurrent well-differentiated", inputs.recurrence.quote)
