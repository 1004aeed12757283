"""Discrete data first, report text second (clinical.md §3.3): `report_text.combine.merge`."""

from __future__ import annotations

from fhir_mappers.report_text.combine import CONFIRM, merge
from fhir_mappers.report_text.reading import TextValue
from scoring.inputs import Fact

TEXT = TextValue(25.0, "DiagnosticReport/r", "Ki-67 Labeling Index: 25 %")


def test_text_fills_a_missing_discrete_value_and_quotes_it():
    fact = merge("ki67_percent", Fact(), TEXT)
    assert fact.value == 25.0 and fact.sources == ("DiagnosticReport/r",)
    assert fact.quote == "Ki-67 Labeling Index: 25 %"
    assert CONFIRM in fact.note and fact.text_disagreement is None


def test_agreeing_text_leaves_the_discrete_fact_unchanged():
    discrete = Fact(25.0, ("Observation/k",))
    assert merge("ki67_percent", discrete, TEXT) == discrete


def test_worse_text_value_wins_a_disagreement_and_is_quoted():
    fact = merge("ki67_percent", Fact(4.0, ("Observation/k",)), TEXT)
    assert fact.value == 25.0 and fact.quote == TEXT.quote
    assert fact.sources == ("DiagnosticReport/r", "Observation/k")
    assert "worse (higher-risk) value 25.0 is used" in fact.text_disagreement
    assert "§" not in fact.text_disagreement  # shown on the card: words, no section numbers


def test_worse_discrete_value_wins_a_disagreement_and_says_what_the_text_said():
    text = TextValue(False, "DiagnosticReport/r", "Lymphovascular Invasion: Not identified")
    fact = merge("lymphovascular_invasion", Fact(True, ("Observation/l",)), text)
    assert fact.value is True and fact.quote is None
    assert "Not identified" in fact.text_disagreement


def test_fewer_nodes_examined_is_the_worse_value():
    text = TextValue(9, "DiagnosticReport/r", "Number of Lymph Nodes Examined: 9")
    assert merge("nodes_examined", Fact(14, ("Observation/n",)), text).value == 9


def test_unknown_text_changes_nothing():
    discrete = Fact(4.0, ("Observation/k",))
    assert (
        merge("ki67_percent", discrete, TextValue(None, "DiagnosticReport/r", "Ki-67: n/a"))
        == discrete
    )
    assert merge("ki67_percent", discrete, None) == discrete
