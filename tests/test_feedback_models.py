"""Validation of CDS Hooks 2.0 feedback request bodies (https://cds-hooks.hl7.org/2.0/#feedback)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from cds_service.feedback.errors import FeedbackValidationError
from cds_service.feedback.models import (
    MAX_FEEDBACK_ITEMS,
    MAX_USER_COMMENT,
    Outcome,
    parse_feedback_request,
)

CARD = "4e0a3a1e-3283-4575-ab82-028d55fe2719"
SUGGESTION = "e56e1945-20b3-4393-8503-a1a20fd73152"
WHEN = "2020-12-11T00:00:00Z"

# The three examples of the 2.0 specification, as a client would send them.
SPEC_ACCEPTED = {
    "card": CARD,
    "outcome": "accepted",
    "acceptedSuggestions": [{"id": SUGGESTION}],
    "outcomeTimestamp": WHEN,
}
SPEC_OVERRIDDEN = {"card": CARD, "outcome": "overridden", "outcomeTimestamp": WHEN}
SPEC_OVERRIDDEN_WITH_REASON = {
    "card": "9368d37b-283f-44a0-93ea-547cebab93ed",
    "outcome": "overridden",
    "overrideReason": {
        "reason": {"code": "d7ecf885", "system": "https://example.com/override-reason-system"},
        "userComment": "clinician entered comment",
    },
    "outcomeTimestamp": WHEN,
}


def body(*items: dict) -> bytes:
    return json.dumps({"feedback": list(items)}).encode()


def with_(base: dict, **changes: object) -> dict:
    item = {**base, **changes}
    return {k: v for k, v in item.items() if v is not ...}


@pytest.mark.parametrize("item", [SPEC_ACCEPTED, SPEC_OVERRIDDEN, SPEC_OVERRIDDEN_WITH_REASON])
def test_spec_examples_are_accepted(item):
    request = parse_feedback_request(body(item))
    (entry,) = request.feedback
    assert entry.card == item["card"]
    assert entry.outcome == Outcome(item["outcome"])
    assert entry.outcome_timestamp == datetime(2020, 12, 11, tzinfo=UTC)


def test_fields_are_read_into_the_model():
    request = parse_feedback_request(body(SPEC_OVERRIDDEN_WITH_REASON))
    reason = request.feedback[0].override_reason
    assert reason is not None and reason.reason is not None
    assert reason.reason.code == "d7ecf885"
    assert reason.reason.system == "https://example.com/override-reason-system"
    assert reason.reason.display is None
    assert reason.user_comment == "clinician entered comment"


def test_accepts_decoded_json_and_text():
    decoded = {"feedback": [SPEC_ACCEPTED]}
    assert parse_feedback_request(decoded) == parse_feedback_request(json.dumps(decoded))


def test_uuids_are_normalised_to_lower_case():
    item = with_(SPEC_ACCEPTED, card=CARD.upper(), acceptedSuggestions=[{"id": SUGGESTION.upper()}])
    entry = parse_feedback_request(body(item)).feedback[0]
    assert entry.card == CARD
    assert entry.accepted_suggestion_ids == [SUGGESTION]


def test_offset_timestamps_become_utc():
    item = with_(SPEC_OVERRIDDEN, outcomeTimestamp="2020-12-11T01:30:00.25+01:30")
    stamp = parse_feedback_request(body(item)).feedback[0].outcome_timestamp
    assert stamp == datetime(2020, 12, 11, 0, 0, 0, 250000, tzinfo=UTC)
    assert stamp.utcoffset().total_seconds() == 0


def test_repeated_suggestion_ids_are_kept_once():
    item = with_(SPEC_ACCEPTED, acceptedSuggestions=[{"id": SUGGESTION}, {"id": SUGGESTION}])
    assert parse_feedback_request(body(item)).feedback[0].accepted_suggestion_ids == [SUGGESTION]


def test_empty_feedback_array_is_valid_and_empty():
    assert parse_feedback_request(body()).feedback == []


def test_empty_accepted_suggestions_with_overridden_is_tolerated():
    item = with_(SPEC_OVERRIDDEN, acceptedSuggestions=[])
    assert parse_feedback_request(body(item)).feedback[0].accepted_suggestion_ids == []


def test_extensions_are_allowed():
    item = with_(SPEC_OVERRIDDEN, extension={"com.example.ehr.user-role": "surgeon"})
    request = parse_feedback_request(json.dumps({"feedback": [item], "extension": {"a": 1}}))
    assert request.feedback[0].extension == {"com.example.ehr.user-role": "surgeon"}


def test_comment_only_override_reason_is_valid():
    item = with_(SPEC_OVERRIDDEN, overrideReason={"userComment": "seen elsewhere"})
    reason = parse_feedback_request(body(item)).feedback[0].override_reason
    assert reason is not None and reason.reason is None


def test_at_most_the_item_limit():
    parse_feedback_request(body(*[SPEC_OVERRIDDEN] * MAX_FEEDBACK_ITEMS))
    with pytest.raises(FeedbackValidationError, match=r"^feedback: .*at most 100"):
        parse_feedback_request(body(*[SPEC_OVERRIDDEN] * (MAX_FEEDBACK_ITEMS + 1)))


MALFORMED_BODIES: dict[str, tuple[bytes | str, str]] = {
    "not JSON": (b"feedback=yes", "body: Invalid JSON"),
    "not UTF-8": (b'{"feedback": ["\xff"]}', "body: "),
    "array at top level": (json.dumps([SPEC_ACCEPTED]), "body: Input should be an object"),
    "feedback missing": ("{}", "feedback: Field required"),
    "feedback not an array": ('{"feedback": {}}', "feedback: Input should be a valid array"),
    "unknown top-level key": (
        json.dumps({"feedback": [], "cards": []}),
        "cards: Extra inputs are not permitted",
    ),
    "entry not an object": ('{"feedback": ["x"]}', "feedback[0]: Input should be an object"),
    "wrong outcome": (
        body(with_(SPEC_OVERRIDDEN, outcome="ignored")),
        "feedback[0].outcome: Input should be 'accepted' or 'overridden'",
    ),
    "outcome in capitals": (
        body(with_(SPEC_OVERRIDDEN, outcome="Overridden")),
        "feedback[0].outcome: Input should be",
    ),
    "outcome missing": (body(with_(SPEC_OVERRIDDEN, outcome=...)), "outcome: Field required"),
    "card missing": (body(with_(SPEC_OVERRIDDEN, card=...)), "feedback[0].card: Field required"),
    "card not a uuid": (
        body(with_(SPEC_OVERRIDDEN, card="card-1")),
        "feedback[0].card: must be a UUID",
    ),
    "card as urn:uuid": (
        body(with_(SPEC_OVERRIDDEN, card=f"urn:uuid:{CARD}")),
        "feedback[0].card: ",
    ),
    "card uuid without dashes": (
        body(with_(SPEC_OVERRIDDEN, card=CARD.replace("-", ""))),
        "feedback[0].card: must be a UUID",
    ),
    "card a number": (body(with_(SPEC_OVERRIDDEN, card=42)), "feedback[0].card: Input should be"),
    "accepted without acceptedSuggestions": (
        body(with_(SPEC_ACCEPTED, acceptedSuggestions=...)),
        "feedback[0]: acceptedSuggestions is required when outcome is 'accepted'",
    ),
    "accepted with empty acceptedSuggestions": (
        body(with_(SPEC_ACCEPTED, acceptedSuggestions=[])),
        "acceptedSuggestions is required when outcome is 'accepted'",
    ),
    "acceptedSuggestions with overridden": (
        body(with_(SPEC_OVERRIDDEN, acceptedSuggestions=[{"id": SUGGESTION}])),
        "feedback[0]: acceptedSuggestions is only allowed when outcome is 'accepted'",
    ),
    "overrideReason with accepted": (
        body(with_(SPEC_ACCEPTED, overrideReason={"userComment": "x"})),
        "feedback[0]: overrideReason is only allowed when outcome is 'overridden'",
    ),
    "empty overrideReason": (
        body(with_(SPEC_OVERRIDDEN, overrideReason={})),
        "feedback[0].overrideReason: overrideReason needs a reason, a userComment, or both",
    ),
    "reason without code": (
        body(with_(SPEC_OVERRIDDEN, overrideReason={"reason": {"system": "http://x"}})),
        "feedback[0].overrideReason.reason.code: Field required",
    ),
    "reason with unknown key": (
        body(with_(SPEC_OVERRIDDEN, overrideReason={"reason": {"code": "a", "text": "b"}})),
        "feedback[0].overrideReason.reason.text: Extra inputs are not permitted",
    ),
    "empty userComment": (
        body(with_(SPEC_OVERRIDDEN, overrideReason={"userComment": ""})),
        "feedback[0].overrideReason.userComment: String should have at least 1 character",
    ),
    "userComment too long": (
        body(with_(SPEC_OVERRIDDEN, overrideReason={"userComment": "x" * (MAX_USER_COMMENT + 1)})),
        "feedback[0].overrideReason.userComment: String should have at most 2000 characters",
    ),
    "suggestion id not a uuid": (
        body(with_(SPEC_ACCEPTED, acceptedSuggestions=[{"id": "ct"}])),
        "feedback[0].acceptedSuggestions[0].id: must be a UUID",
    ),
    "suggestion without id": (
        body(with_(SPEC_ACCEPTED, acceptedSuggestions=[{}])),
        "feedback[0].acceptedSuggestions[0].id: Field required",
    ),
    "too many suggestions": (
        body(with_(SPEC_ACCEPTED, acceptedSuggestions=[{"id": SUGGESTION}] * 11)),
        "feedback[0].acceptedSuggestions: List should have at most 10 items",
    ),
    "outcomeTimestamp missing": (
        body(with_(SPEC_OVERRIDDEN, outcomeTimestamp=...)),
        "feedback[0].outcomeTimestamp: Field required",
    ),
    "outcomeTimestamp null": (
        body(with_(SPEC_OVERRIDDEN, outcomeTimestamp=None)),
        "feedback[0].outcomeTimestamp: must be an RFC 3339 date-time",
    ),
    "outcomeTimestamp without offset": (
        body(with_(SPEC_OVERRIDDEN, outcomeTimestamp="2020-12-11T00:00:00")),
        "feedback[0].outcomeTimestamp: must be an RFC 3339 date-time",
    ),
    "outcomeTimestamp a date": (
        body(with_(SPEC_OVERRIDDEN, outcomeTimestamp="2020-12-11")),
        "feedback[0].outcomeTimestamp: must be an RFC 3339",
    ),
    "outcomeTimestamp epoch seconds": (
        body(with_(SPEC_OVERRIDDEN, outcomeTimestamp=1607644800)),
        "feedback[0].outcomeTimestamp: must be an RFC 3339",
    ),
    "outcomeTimestamp impossible date": (
        body(with_(SPEC_OVERRIDDEN, outcomeTimestamp="2020-02-30T00:00:00Z")),
        "feedback[0].outcomeTimestamp: ",
    ),
    "snake_case key": (
        body(with_(SPEC_OVERRIDDEN, outcomeTimestamp=..., outcome_timestamp=WHEN)),
        "feedback[0].outcome_timestamp: Extra inputs are not permitted",
    ),
    "unknown entry key": (
        body(with_(SPEC_OVERRIDDEN, patient="Patient/1")),
        "feedback[0].patient: Extra inputs are not permitted",
    ),
}


@pytest.mark.parametrize("raw,problem", MALFORMED_BODIES.values(), ids=MALFORMED_BODIES.keys())
def test_malformed_bodies_are_refused_naming_the_element(raw, problem):
    with pytest.raises(FeedbackValidationError) as caught:
        parse_feedback_request(raw)
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_every_problem_is_reported():
    item = with_(SPEC_OVERRIDDEN, card="x", outcome="maybe", outcomeTimestamp=...)
    with pytest.raises(FeedbackValidationError) as caught:
        parse_feedback_request(body(SPEC_OVERRIDDEN, item))
    located = sorted(p.split(":")[0] for p in caught.value.problems)
    assert located == ["feedback[1].card", "feedback[1].outcome", "feedback[1].outcomeTimestamp"]


def test_problems_never_echo_the_user_comment():
    secret = "patient said she moved to Lyon " * 80
    item = with_(SPEC_OVERRIDDEN, card="bad", overrideReason={"userComment": secret})
    with pytest.raises(FeedbackValidationError) as caught:
        parse_feedback_request(body(item))
    assert "Lyon" not in str(caught.value)
    assert all("Lyon" not in p for p in caught.value.problems)
