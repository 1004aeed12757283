"""Wire models of the CDS Hooks 2.0 feedback request.

Spec: https://cds-hooks.hl7.org/2.0/#feedback. The cross-field rules follow the 2.0 text and the
invariants of the CDS Hooks logical model (cds-fb-1..3):
- `acceptedSuggestions` is required (non-empty) for `accepted` and carries nothing for `overridden`;
- `overrideReason` only with `overridden`, and then holds a `reason`, a `userComment`, or both;
- `outcomeTimestamp` is required and is an instant (date, time and offset).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    model_validator,
)
from pydantic.alias_generators import to_camel

from cds_service.feedback.errors import FeedbackValidationError
from scoring.fast_reads import FastReadModel

MAX_FEEDBACK_ITEMS = 100
MAX_ACCEPTED_SUGGESTIONS = 10
MAX_USER_COMMENT = 2000
MAX_CODING_SYSTEM = 255
MAX_CODING_CODE = 128
MAX_CODING_DISPLAY = 255

# The card and suggestion ids we issue are canonical UUID strings (the logical model types them
# `uuid`); other spellings (braces, urn:uuid:, no dashes) never came from us.
UUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# RFC 3339 section 5.6 date-time: the offset is mandatory; a bare date or a local time is refused.
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")


def _require_rfc3339(value: object) -> object:
    # pydantic alone would also take epoch numbers and bare dates; the spec asks for RFC 3339.
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError("must be an RFC 3339 date-time with offset, e.g. 2020-12-11T00:00:00Z")
    return value


def _require_uuid(value: str) -> str:
    value = value.lower()
    if not UUID_PATTERN.match(value):
        raise ValueError("must be a UUID, e.g. 4e0a3a1e-3283-4575-ab82-028d55fe2719")
    return value


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


Uuid = Annotated[str, Field(max_length=36), AfterValidator(_require_uuid)]
Instant = Annotated[AwareDatetime, BeforeValidator(_require_rfc3339), AfterValidator(_to_utc)]


class _WireModel(FastReadModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        # camelCase on the wire only: the Python names are not accepted as input keys.
        alias_generator=to_camel,
        serialize_by_alias=True,
        str_strip_whitespace=True,
    )


class Outcome(StrEnum):
    """Feedback `outcome` (https://cds-hooks.hl7.org/2.0/#feedback)."""

    ACCEPTED = "accepted"
    OVERRIDDEN = "overridden"


class Coding(_WireModel):
    """A CDS Hooks Coding (https://cds-hooks.hl7.org/2.0/#coding). In feedback it echoes one of
    the card's `overrideReasons`; `display` may be left out by the client."""

    code: str = Field(min_length=1, max_length=MAX_CODING_CODE)
    system: str | None = Field(default=None, min_length=1, max_length=MAX_CODING_SYSTEM)
    display: str | None = Field(default=None, min_length=1, max_length=MAX_CODING_DISPLAY)


class AcceptedSuggestion(_WireModel):
    """AcceptedSuggestion (https://cds-hooks.hl7.org/2.0/#suggestion-accepted): the
    `card.suggestions[].uuid` the user accepted."""

    id: Uuid


class OverrideReason(_WireModel):
    """OverrideReason (https://cds-hooks.hl7.org/2.0/#overridereason). `userComment` is free text
    entered by a clinician: stored, never logged."""

    reason: Coding | None = None
    user_comment: str | None = Field(default=None, min_length=1, max_length=MAX_USER_COMMENT)

    @model_validator(mode="after")
    def _reason_or_comment(self) -> OverrideReason:
        if self.reason is None and self.user_comment is None:
            raise ValueError("overrideReason needs a reason, a userComment, or both")
        return self


class Feedback(_WireModel):
    """One Feedback entry (https://cds-hooks.hl7.org/2.0/#feedback)."""

    card: Uuid
    outcome: Outcome
    accepted_suggestions: list[AcceptedSuggestion] | None = Field(
        default=None, max_length=MAX_ACCEPTED_SUGGESTIONS
    )
    override_reason: OverrideReason | None = None
    outcome_timestamp: Instant
    extension: dict[str, JsonValue] | None = None

    @model_validator(mode="after")
    def _outcome_rules(self) -> Feedback:
        if self.outcome is Outcome.ACCEPTED:
            if not self.accepted_suggestions:
                raise ValueError("acceptedSuggestions is required when outcome is 'accepted'")
            if self.override_reason is not None:
                raise ValueError("overrideReason is only allowed when outcome is 'overridden'")
        elif self.accepted_suggestions:
            # An empty list says nothing and is tolerated; a suggestion cannot be both accepted
            # and overridden in one entry.
            raise ValueError("acceptedSuggestions is only allowed when outcome is 'accepted'")
        return self

    @property
    def accepted_suggestion_ids(self) -> list[str]:
        """Distinct accepted suggestion ids in the order given."""
        return list(dict.fromkeys(s.id for s in self.accepted_suggestions or ()))


class FeedbackRequest(_WireModel):
    """Body of POST {baseUrl}/cds-services/{service.id}/feedback
    (https://cds-hooks.hl7.org/2.0/#feedback): an object holding the `feedback` array."""

    feedback: list[Feedback] = Field(max_length=MAX_FEEDBACK_ITEMS)
    extension: dict[str, JsonValue] | None = None


def _location(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def _problems(exc: ValidationError) -> list[str]:
    # include_input=False and no ctx: messages must not echo clinician free text back or to logs.
    problems = []
    for error in exc.errors(include_input=False, include_context=False, include_url=False):
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{_location(error['loc'])}: {message}")
    return problems


def parse_feedback_request(body: bytes | str | Any) -> FeedbackRequest:
    """Validate a feedback request body (raw JSON or already decoded).

    Raises FeedbackValidationError listing every problem, each naming its element.
    """
    try:
        if isinstance(body, bytes | str):
            return FeedbackRequest.model_validate_json(body)
        return FeedbackRequest.model_validate(body)
    except ValidationError as exc:
        raise FeedbackValidationError(_problems(exc)) from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise FeedbackValidationError(["body: not valid JSON"]) from None
