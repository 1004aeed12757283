"""build_assessment_card: summary, indicator, source, suggestions, links, reasons, extension."""

from __future__ import annotations

import json

import pytest
from cards_factories import (
    ABSOLUTE_URL,
    APP_CONTEXT,
    CARD_UUID,
    SMART_URL,
    VENTIN_URL,
    ZAIDI_URL,
    assert_survives_its_wire_form,
    assessment,
    card_args,
    plan,
    service_request,
    undetermined,
    ventin,
    zaidi,
)

from cds_service.blueprints.response_json import fast_dumps
from cds_service.cards.builder import EXTENSION_KEY, build_assessment_card, suggestion_uuid
from cds_service.cards.errors import CardBuildError, CardError
from cds_service.cards.models import Card
from cds_service.cards.override_reasons import OVERRIDE_REASON_SYSTEM, OVERRIDE_REASONS
from cds_service.cards.source import SURVEILLANCE_CITATION_URL, TOPIC
from scoring.assessment import Assessment, Tier


def build(a: Assessment, **overrides) -> Card:
    card = build_assessment_card(a, **card_args(**overrides))
    # Every card survives a trip through its own wire form.
    assert_survives_its_wire_form(card)
    return card


SCENARIOS = {
    "very-low": assessment(Tier.VERY_LOW),
    "low": assessment(Tier.LOW),
    "intermediate": assessment(Tier.INTERMEDIATE),
    "high": assessment(Tier.HIGH),
    "high-overdue": assessment(Tier.HIGH, surveillance=plan(Tier.HIGH, overdue=True)),
    "low-overdue": assessment(Tier.LOW, surveillance=plan(Tier.LOW, overdue=True)),
    "very-low-overdue": assessment(Tier.LOW, surveillance=plan(Tier.VERY_LOW, overdue=True)),
    "undetermined": undetermined(),
    "undetermined-overdue": undetermined(overdue=True),
    "factors-only": assessment(None, scores=[ventin()], surveillance=plan(Tier.INTERMEDIATE)),
    "site-configured": assessment(Tier.INTERMEDIATE, scores=[ventin(site_configured=True)]),
    "out-of-scope": assessment(None, in_scope=False, scope_reason="NEC", surveillance=None),
    "no-surveillance": assessment(Tier.LOW, surveillance=None),
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_scenario_builds_a_valid_card_with_a_short_summary(name):
    card = build(SCENARIOS[name])
    assert 0 < len(card.summary) < 140
    assert card.summary.startswith("NET recurrence risk")


@pytest.mark.parametrize(
    ("name", "indicator"),
    [
        ("very-low", "info"),
        ("low", "info"),
        ("intermediate", "warning"),
        ("high", "warning"),
        ("high-overdue", "critical"),
        # months overdue is something to act on: not `info` whatever the tier (issue 14)
        ("low-overdue", "warning"),
        ("very-low-overdue", "warning"),
        ("undetermined", "warning"),
        ("undetermined-overdue", "warning"),  # high only possible, not established
        ("factors-only", "warning"),
        ("site-configured", "warning"),
        ("out-of-scope", "info"),
        ("no-surveillance", "info"),
    ],
)
def test_indicator_matrix(name, indicator):
    assert build(SCENARIOS[name]).indicator == indicator


def test_low_overall_with_intermediate_surveillance_from_guideline_flags_warns():
    a = assessment(
        Tier.LOW,
        surveillance=plan(Tier.INTERMEDIATE),
        guideline_flags=["Ki-67 > 5 %: at least intermediate-intensity surveillance"],
    )
    assert build(a).indicator == "warning"


def test_low_overall_with_very_low_surveillance_is_info():
    assert build(assessment(Tier.LOW, surveillance=plan(Tier.VERY_LOW))).indicator == "info"


def test_intermediate_overdue_is_warning_not_critical():
    a = assessment(Tier.INTERMEDIATE, surveillance=plan(Tier.INTERMEDIATE, overdue=True))
    assert build(a).indicator == "warning"


def test_summary_states_tier_score_and_next_due():
    card = build(assessment(Tier.INTERMEDIATE))
    assert card.summary == (
        "NET recurrence risk: intermediate (Zaidi RRS 4/10) — next abdominal CT/MRI due 2025-03-04"
    )


def test_summary_for_overdue_high():
    card = build(SCENARIOS["high-overdue"])
    assert (
        card.summary
        == "NET recurrence risk: high (Zaidi RRS 7/10) — abdominal CT/MRI overdue since 2025-03-04"
    )


def test_summary_of_overdue_names_the_first_missed_exam_not_the_latest():
    overdue = plan(Tier.HIGH, overdue=True, overdue_since="2024-03-04", next_due="2025-03-04")
    card = build(assessment(Tier.HIGH, surveillance=overdue))
    assert card.summary.endswith("abdominal CT/MRI overdue since 2024-03-04")


@pytest.mark.parametrize(
    ("overall", "scheduled", "words"),
    [
        (Tier.LOW, Tier.VERY_LOW, "low (Zaidi RRS 1/10), very low schedule — "),
        (Tier.LOW, Tier.INTERMEDIATE, "low (Zaidi RRS 1/10), intermediate schedule — "),
    ],
)
def test_summary_names_a_schedule_that_differs_from_the_tier(overall, scheduled, words):
    card = build(assessment(overall, surveillance=plan(scheduled)))
    assert card.summary == f"NET recurrence risk: {words}next abdominal CT/MRI due 2025-03-04"


def test_undetermined_summary_says_the_schedule_it_is_scheduled_by():
    summary = build(undetermined(overdue=True)).summary
    assert summary.startswith("NET recurrence risk: incomplete data — low to high possible")
    assert "; high schedule — abdominal CT/MRI overdue" in summary


def test_summary_keeps_the_schedule_when_it_must_shorten():
    # p05-like: the full summary is over the limit; the score goes, the schedule stays
    possible = [Tier.LOW, Tier.INTERMEDIATE]
    score = zaidi(points=None, tier=None, points_range=[2, 3], possible=possible)
    a = assessment(
        None,
        scores=[score],
        possible=possible,
        surveillance=plan(Tier.INTERMEDIATE, overdue=True, overdue_since="2024-09-04"),
    )
    summary = build(a).summary
    assert len(summary) < 140
    assert "intermediate schedule" in summary and "overdue since 2024-09-04" in summary


def test_summary_for_due_now():
    card = build(assessment(Tier.LOW, surveillance=plan(Tier.LOW, due_now=True)))
    assert "abdominal CT/MRI due now (2025-03-04)" in card.summary


def test_summary_shows_point_range_when_tier_is_settled_despite_unknowns():
    score = zaidi(points=None, tier=Tier.INTERMEDIATE, points_range=[3, 4])
    card = build(assessment(Tier.INTERMEDIATE, scores=[score]))
    assert "intermediate (Zaidi RRS 3–4/10)" in card.summary


@pytest.mark.parametrize("name", ["undetermined", "undetermined-overdue", "factors-only"])
def test_undetermined_summary_never_claims_a_single_tier(name):
    summary = build(SCENARIOS[name]).summary
    assert summary.startswith(
        ("NET recurrence risk: incomplete data", "NET recurrence risk: tier not determined")
    )
    assert "risk: low" not in summary and "risk: very low" not in summary


def test_undetermined_summary_gives_range_of_possible_tiers():
    summary = build(undetermined()).summary
    assert summary.startswith("NET recurrence risk: incomplete data — low to high possible")


def test_out_of_scope_card_is_brief_info_without_suggestions():
    card = build(SCENARIOS["out-of-scope"])
    assert card.summary.startswith("NET recurrence risk not assessed")
    assert card.suggestions is None and card.selection_behavior is None
    assert "NEC" in card.detail
    assert card.wire_by_pydantic()["extension"][EXTENSION_KEY]["in_scope"] is False


def test_source_label_url_and_topic():
    card = build(
        assessment(Tier.INTERMEDIATE, scores=[zaidi(points=4, tier=Tier.INTERMEDIATE), ventin()])
    )
    assert card.source.label == "pannet-cds (Zaidi 2019 RRS; Ventin 2025; CommNETS/NANETS 2018)"
    assert card.source.url == ZAIDI_URL
    assert card.source.topic == TOPIC
    assert card.to_wire()["source"]["topic"] == {
        "system": "https://pannet-cds.org/topics",
        "code": "net-recurrence-risk",
        "display": "Neuroendocrine tumour recurrence risk and surveillance",
    }


def test_source_url_follows_the_score_that_set_the_tier():
    a = assessment(
        Tier.INTERMEDIATE, scores=[zaidi(points=1, tier=Tier.LOW), ventin(site_configured=True)]
    )
    assert build(a).source.url == VENTIN_URL


def test_source_url_is_not_a_literature_search():
    search = "https://pubmed.ncbi.nlm.nih.gov/?term=Zaidi+recurrence+risk+score"
    score = zaidi(points=4, tier=Tier.INTERMEDIATE).model_copy(update={"citation_url": search})
    card = build(assessment(Tier.INTERMEDIATE, scores=[score]))
    assert card.source.url == SURVEILLANCE_CITATION_URL
    assert f"(<{search}>) — a PubMed search: no DOI or PMID is confirmed" in card.detail


def test_source_url_falls_back_to_the_surveillance_citation():
    assert build(SCENARIOS["out-of-scope"]).source.url == SURVEILLANCE_CITATION_URL


def test_suggestions_offer_ct_or_mri_creating_the_given_resources():
    ct = [service_request("ct", 6), service_request("ct", 18)]
    mri = [service_request("mri", 6)]
    card = build(assessment(Tier.INTERMEDIATE), ct_orders=ct, mri_orders=mri)
    wire = card.to_wire()
    assert wire["selectionBehavior"] == "at-most-one"
    assert [s["label"] for s in wire["suggestions"]] == [
        "Schedule surveillance with CT",
        "Schedule surveillance with MRI",
    ]
    ct_s, mri_s = wire["suggestions"]
    assert [a["resource"] for a in ct_s["actions"]] == ct
    assert [a["resource"] for a in mri_s["actions"]] == mri
    assert {a["type"] for a in ct_s["actions"] + mri_s["actions"]} == {"create"}
    assert (
        ct_s["actions"][0]["description"] == "Create draft ServiceRequest: CT abdomen with contrast"
    )
    assert ct_s["uuid"] == suggestion_uuid(CARD_UUID, "ct") != mri_s["uuid"]
    # CT and MRI are equal alternatives; stated, since some clients require the field
    assert ct_s["isRecommended"] is False and mri_s["isRecommended"] is False


def test_no_suggestions_when_there_is_nothing_to_order():
    card = build(assessment(Tier.LOW), ct_orders=[], mri_orders=[])
    assert "suggestions" not in card.to_wire()
    assert "selectionBehavior" not in card.to_wire()


def test_one_modality_only():
    card = build(assessment(Tier.LOW), ct_orders=[], mri_orders=[service_request("mri", 12)])
    assert [s.label for s in card.suggestions] == ["Schedule surveillance with MRI"]
    assert card.selection_behavior == "at-most-one"


def test_suggestion_uuids_are_stable_for_the_same_card():
    first = build(assessment(Tier.LOW))
    again = build(assessment(Tier.LOW))
    assert [s.uuid for s in first.suggestions] == [s.uuid for s in again.suggestions]


def test_links_smart_with_app_context_and_absolute_fallback():
    links = build(assessment(Tier.LOW)).to_wire()["links"]
    assert links[0]["type"] == "smart" and links[0]["url"] == SMART_URL
    assert links[0]["appContext"] == APP_CONTEXT
    assert links[1] == {
        "label": links[1]["label"],
        "url": ABSOLUTE_URL,
        "type": "absolute",
        "autoLaunchable": False,
    }
    assert links[0]["autoLaunchable"] is False


def test_override_reasons_are_coded_with_display():
    reasons = build(assessment(Tier.LOW)).to_wire()["overrideReasons"]
    assert [(r["code"], r["display"]) for r in reasons] == list(OVERRIDE_REASONS)
    assert {r["system"] for r in reasons} == {OVERRIDE_REASON_SYSTEM}
    assert {
        "already-scheduled",
        "patient-declined",
        "managed-elsewhere",
        "data-incorrect",
        "not-applicable",
    } <= {r["code"] for r in reasons}


@pytest.mark.parametrize("name", SCENARIOS)
def test_extension_round_trips_the_assessment(name):
    a = SCENARIOS[name]
    wire = json.loads(fast_dumps(build(a).to_wire()))
    assert set(wire["extension"]) == {EXTENSION_KEY}
    assert Assessment.model_validate(wire["extension"][EXTENSION_KEY]) == a


def test_extension_keeps_nulls_of_the_assessment():
    wire = json.loads(fast_dumps(build(undetermined()).to_wire()))
    assert wire["extension"][EXTENSION_KEY]["overall_tier"] is None
    factors = wire["extension"][EXTENSION_KEY]["scores"][0]["factors"]
    assert any(f["value"] is None for f in factors)


def test_card_uuid_is_used():
    assert build(assessment(Tier.LOW)).uuid == CARD_UUID


@pytest.mark.parametrize(
    "overrides",
    [
        {"card_uuid": "not-a-uuid"},
        {"ct_orders": [{"id": "no-type"}]},
        {"mri_orders": ["ServiceRequest/1"]},
        {"smart_launch_url": "/relative/launch"},
        {"absolute_url": "javascript:alert(1)"},
    ],
)
def test_bad_inputs_raise_card_build_error(overrides):
    with pytest.raises(CardBuildError) as info:
        build_assessment_card(assessment(Tier.LOW), **card_args(**overrides))
    assert isinstance(info.value, CardError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("possible", "phrase"),
    [
        ([Tier.LOW, Tier.INTERMEDIATE], "incomplete data — low or intermediate possible"),
        ([Tier.LOW, Tier.HIGH], "incomplete data — low or high possible"),
        ([Tier.VERY_LOW, Tier.LOW, Tier.HIGH], "incomplete data — very low, low or high possible"),
        ([Tier.HIGH, Tier.LOW, Tier.INTERMEDIATE], "incomplete data — low to high possible"),
        ([], "tier not determined"),
    ],
)
def test_undetermined_summary_names_exactly_the_possible_tiers(possible, phrase):
    a = assessment(None, scores=[], possible=possible, surveillance=None)
    assert build(a).summary == f"NET recurrence risk: {phrase}"
