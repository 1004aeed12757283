"""Acceptance and override statistics per service and risk tier.

Definitions (the feedback store keeps one row per service, card and outcome, so counts of rows
are counts of distinct cards):
- `cards_issued`: cards the service returned with that tier;
- `accepted` / `overridden`: cards with at least one `accepted` / `overridden` feedback (a card
  can count in both when a client reported both);
- `acceptance_rate` / `override_rate`: those counts over `cards_issued` (the usual "alert
  override rate": cards ignored by the user produce no feedback and so stay in the denominator);
  None when no card was issued;
- feedback about a card never recorded as issued by that service is reported in a separate row
  with `card_known` false and tier None, so it does not distort the rates of real tiers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from sqlalchemy import Connection, Engine, and_, case, distinct, func, select
from sqlalchemy.exc import SQLAlchemyError

from cds_service.feedback.errors import FeedbackStoreError
from cds_service.feedback.models import Outcome
from cds_service.feedback.tables import feedback, issued_cards
from scoring.assessment import Tier, tier_rank

DEFAULT_TOP_REASONS = 5


class _StatsModel(BaseModel):
    # Built in Python by name, sent out in camelCase.
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        validate_by_name=True,
        serialize_by_alias=True,
    )


class OverrideReasonCount(_StatsModel):
    """How many cards were overridden with one coded reason."""

    system: str | None
    code: str
    display: str | None
    count: int


class FeedbackStatsRow(_StatsModel):
    """Statistics of one service and tier; serialise with `model_dump(mode="json")` (camelCase)."""

    service_id: str
    tier: Tier | None
    card_known: bool
    cards_issued: int
    cards_with_feedback: int
    feedback_count: int
    accepted: int
    overridden: int
    acceptance_rate: float | None
    override_rate: float | None
    top_override_reasons: list[OverrideReasonCount]


GroupKey = tuple[str, str | None, bool]


@dataclass
class _Counts:
    cards_issued: int = 0
    cards_with_feedback: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    reasons: list[OverrideReasonCount] = field(default_factory=list)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _collect(connection: Connection, service_id: str | None) -> dict[GroupKey, _Counts]:
    i, f = issued_cards, feedback
    known = case((i.c.card_uuid.is_(None), 0), else_=1).label("known")
    joined = f.outerjoin(i, and_(i.c.card_uuid == f.c.card_uuid, i.c.service_id == f.c.service_id))
    issued_filter = [] if service_id is None else [i.c.service_id == service_id]
    feedback_filter = [] if service_id is None else [f.c.service_id == service_id]
    groups: dict[GroupKey, _Counts] = defaultdict(_Counts)

    issued = (
        select(i.c.service_id, i.c.tier, func.count())
        .where(*issued_filter)
        .group_by(i.c.service_id, i.c.tier)
    )
    for sid, tier, count in connection.execute(issued):
        groups[(sid, tier, True)].cards_issued = count

    group_cols = (f.c.service_id, i.c.tier, known)
    per_card = (
        select(*group_cols, func.count(distinct(f.c.card_uuid)))
        .select_from(joined)
        .where(*feedback_filter)
        .group_by(*group_cols)
    )
    for sid, tier, is_known, count in connection.execute(per_card):
        groups[(sid, tier, bool(is_known))].cards_with_feedback = count

    per_outcome = (
        select(*group_cols, f.c.outcome, func.count())
        .select_from(joined)
        .where(*feedback_filter)
        .group_by(*group_cols, f.c.outcome)
    )
    for sid, tier, is_known, outcome, count in connection.execute(per_outcome):
        groups[(sid, tier, bool(is_known))].outcomes[outcome] = count

    reason_cols = (f.c.override_reason_system, f.c.override_reason_code)
    per_reason = (
        select(*group_cols, *reason_cols, func.max(f.c.override_reason_display), func.count())
        .select_from(joined)
        .where(
            *feedback_filter,
            f.c.outcome == Outcome.OVERRIDDEN.value,
            f.c.override_reason_code.is_not(None),
        )
        .group_by(*group_cols, *reason_cols)
    )
    for sid, tier, is_known, system, code, display, count in connection.execute(per_reason):
        reason = OverrideReasonCount(system=system, code=code, display=display, count=count)
        groups[(sid, tier, bool(is_known))].reasons.append(reason)
    return groups


def _row(key: GroupKey, counts: _Counts, top_reasons: int) -> FeedbackStatsRow:
    service_id, tier, card_known = key
    accepted = counts.outcomes.get(Outcome.ACCEPTED.value, 0)
    overridden = counts.outcomes.get(Outcome.OVERRIDDEN.value, 0)
    reasons = sorted(counts.reasons, key=lambda r: (-r.count, r.system or "", r.code))
    return FeedbackStatsRow(
        service_id=service_id,
        tier=None if tier is None else Tier(tier),
        card_known=card_known,
        cards_issued=counts.cards_issued,
        cards_with_feedback=counts.cards_with_feedback,
        feedback_count=sum(counts.outcomes.values()),
        accepted=accepted,
        overridden=overridden,
        acceptance_rate=_rate(accepted, counts.cards_issued),
        override_rate=_rate(overridden, counts.cards_issued),
        top_override_reasons=reasons[:top_reasons],
    )


def _sort_key(row: FeedbackStatsRow) -> tuple[str, bool, int]:
    # Known tiers in clinical order, then "no tier stated", then feedback about unknown cards.
    tier_position = len(Tier) if row.tier is None else tier_rank(row.tier)
    return (row.service_id, not row.card_known, tier_position)


def feedback_stats(
    engine: Engine, service_id: str | None = None, *, top_reasons: int = DEFAULT_TOP_REASONS
) -> list[FeedbackStatsRow]:
    """Statistics per (service, tier), for one service or all; see the module docstring."""
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                # One snapshot for all four queries, so the columns of a row agree.
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            groups = _collect(connection, service_id)
    except SQLAlchemyError as exc:
        raise FeedbackStoreError("could not read feedback statistics") from exc
    rows = [_row(key, counts, top_reasons) for key, counts in groups.items()]
    return sorted(rows, key=_sort_key)
