"""Acceptance and override statistics per service and risk tier.

Definitions. Each card counts once, by its latest report: the store keeps one row per distinct
report about a card (a changed outcome, or a second, different override, is a new row), and the
latest is the one with the greatest outcomeTimestamp (a repeat of an earlier report moves that
report's timestamp; ties go to the one received last). So a card accepted and then overridden
counts as overridden, and accepted + overridden = cards_with_feedback.
- `cards_issued`: cards the service returned with that tier;
- `cards_with_feedback`: issued cards with at least one report;
- `feedback_count`: distinct reports stored (all of them, not only the latest);
- `accepted` / `overridden`: cards whose latest report is `accepted` / `overridden`;
- `acceptance_rate` / `override_rate`: those counts over `cards_issued` (the usual "alert
  override rate": cards ignored by the user produce no feedback and so stay in the denominator);
  None when no card was issued;
- `top_override_reasons`: coded reasons of the latest reports of overridden cards;
- feedback about a card not recorded as issued by that service (possible only for rows written
  before feedback was checked against issued cards) is reported in a separate row with
  `card_known` false and tier None, so it does not distort the rates of real tiers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from sqlalchemy import Connection, Engine, and_, case, func, select
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
    feedback_count: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    reasons: list[OverrideReasonCount] = field(default_factory=list)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _collect(connection: Connection, service_id: str | None) -> dict[GroupKey, _Counts]:
    i, f = issued_cards, feedback
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

    def grouped(rows: Any) -> tuple[Any, tuple[Any, ...]]:
        """`rows` joined to their issued card, and the (service, tier, known) columns."""
        joined = rows.outerjoin(
            i, and_(i.c.card_uuid == rows.c.card_uuid, i.c.service_id == rows.c.service_id)
        )
        known = case((i.c.card_uuid.is_(None), 0), else_=1).label("known")
        return joined, (rows.c.service_id, i.c.tier, known)

    joined, group_cols = grouped(f)
    records = (
        select(*group_cols, func.count())
        .select_from(joined)
        .where(*feedback_filter)
        .group_by(*group_cols)
    )
    for sid, tier, is_known, count in connection.execute(records):
        groups[(sid, tier, bool(is_known))].feedback_count = count

    rank = (
        func.row_number()
        .over(
            partition_by=(f.c.service_id, f.c.card_uuid),
            order_by=(f.c.latest_timestamp.desc(), f.c.id.desc()),
        )
        .label("rank")
    )
    ranked = select(f, rank).where(*feedback_filter).subquery()
    latest = select(ranked).where(ranked.c.rank == 1).subquery()
    joined, group_cols = grouped(latest)
    per_outcome = (
        select(*group_cols, latest.c.outcome, func.count())
        .select_from(joined)
        .group_by(*group_cols, latest.c.outcome)
    )
    for sid, tier, is_known, outcome, count in connection.execute(per_outcome):
        group = groups[(sid, tier, bool(is_known))]
        group.outcomes[outcome] = count
        group.cards_with_feedback += count

    reason_cols = (latest.c.override_reason_system, latest.c.override_reason_code)
    per_reason = (
        select(*group_cols, *reason_cols, func.max(latest.c.override_reason_display), func.count())
        .select_from(joined)
        .where(
            latest.c.outcome == Outcome.OVERRIDDEN.value,
            latest.c.override_reason_code.is_not(None),
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
        feedback_count=counts.feedback_count,
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
                # One snapshot for all the queries, so the columns of a row agree.
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            groups = _collect(connection, service_id)
    except SQLAlchemyError as exc:
        raise FeedbackStoreError("could not read feedback statistics") from exc
    rows = [_row(key, counts, top_reasons) for key, counts in groups.items()]
    return sorted(rows, key=_sort_key)
