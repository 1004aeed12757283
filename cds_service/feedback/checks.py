"""Feedback is checked against the card it is about, as the service issued it: the card must
have been issued by this service to this client (the JWT issuer of the hook call), accepted
suggestions must be ones the card offered (at most one when its selection behaviour says so),
and a coded override reason one of the card's `overrideReasons`.

A card unknown here, of another service or issued to another client gets one and the same
answer (CardNotIssued, HTTP 404), so the answer tells nothing about other clients' cards.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cds_service.feedback.errors import CardNotIssued, FeedbackValidationError
from cds_service.feedback.models import Coding, Feedback, FeedbackRequest


@dataclass(frozen=True)
class Offered:
    """What one issued card offered, as recorded at issue time."""

    suggestions: tuple[str, ...] = ()
    override_reasons: tuple[tuple[str | None, str], ...] = ()
    at_most_one: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "suggestions": list(self.suggestions),
            "overrideReasons": [list(pair) for pair in self.override_reasons],
            "atMostOne": self.at_most_one,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, object]) -> Offered:
        return cls(
            suggestions=tuple(value.get("suggestions") or ()),
            override_reasons=tuple(
                (system, code) for system, code in value.get("overrideReasons") or ()
            ),
            at_most_one=bool(value.get("atMostOne")),
        )


@dataclass(frozen=True)
class IssuedRecord:
    """The stored facts about an issued card that feedback is checked against."""

    service_id: str
    issuer: str | None
    offered: Offered


def _reason_problem(where: str, coding: Coding, offered: Offered) -> str | None:
    for system, code in offered.override_reasons:
        if coding.code == code and coding.system in (None, system):
            return None
    return f"{where}.overrideReason.reason: not one of the overrideReasons this card offered"


def _problems(index: int, item: Feedback, offered: Offered) -> list[str]:
    where = f"feedback[{index}]"
    problems = []
    chosen = item.accepted_suggestion_ids
    for position, suggestion in enumerate(item.accepted_suggestions or ()):
        if suggestion.id not in offered.suggestions:
            problems.append(
                f"{where}.acceptedSuggestions[{position}].id: not a suggestion this card offered"
            )
    if offered.at_most_one and len(chosen) > 1:
        problems.append(f"{where}.acceptedSuggestions: this card allows at most one suggestion")
    reason = item.override_reason.reason if item.override_reason else None
    if reason is not None:
        problem = _reason_problem(where, reason, offered)
        if problem:
            problems.append(problem)
    return problems


def check_request(
    request: FeedbackRequest,
    *,
    service_id: str,
    issuer: str | None,
    issued: Mapping[str, IssuedRecord],
) -> None:
    """Raise CardNotIssued or FeedbackValidationError unless every entry fits its card.
    `issuer` None means the caller was not authenticated (JWT verification off): not compared."""
    unknown = []
    problems = []
    for index, item in enumerate(request.feedback):
        record = issued.get(item.card)
        if (
            record is None
            or record.service_id != service_id
            or (issuer is not None and record.issuer != issuer)
        ):
            unknown.append(f"feedback[{index}].card: not a card this service issued to this client")
            continue
        problems.extend(_problems(index, item, record.offered))
    if unknown:
        raise CardNotIssued(unknown)
    if problems:
        raise FeedbackValidationError(problems)


def as_offered(item: Feedback, offered: Offered) -> Feedback:
    """`item` with its coded reason completed from the card (a client may leave out `system`
    or `display`), so one reason is stored, counted and de-duplicated one way."""
    reason = item.override_reason
    if reason is None or reason.reason is None or reason.reason.system is not None:
        return item
    system = next(s for s, c in offered.override_reasons if c == reason.reason.code)
    coding = reason.reason.model_copy(update={"system": system})
    return item.model_copy(update={"override_reason": reason.model_copy(update={"reason": coding})})
