"""`pannet-cds feedback-stats`: reading the statistics and printing them as a table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cds_service.cli_support import fail, require_existing_database

if TYPE_CHECKING:
    from cds_service.feedback.stats import FeedbackStatsRow
    from cds_service.settings import Settings


def read_feedback_stats(settings: Settings, service_id: str | None) -> list[FeedbackStatsRow]:
    from cds_service.db import create_schema, make_engine
    from cds_service.feedback.errors import FeedbackStoreError
    from cds_service.feedback.stats import feedback_stats

    require_existing_database(settings.database_url)
    try:
        engine = make_engine(settings.database_url)
        # an existing database of an older version may lack a table: adding it is harmless
        create_schema(engine)
        return feedback_stats(engine, service_id)
    except FeedbackStoreError as exc:
        fail(str(exc))


def feedback_stats_table(rows: list[FeedbackStatsRow]) -> str:
    lines = [
        f"{'service':<36} {'tier':<13} {'issued':>6} {'accepted':>8} {'overridden':>10}"
        f" {'accept %':>8} {'override %':>10}"
    ]
    for row in rows:
        lines.append(
            f"{row.service_id:<36} {(row.tier or '-') if row.card_known else 'unknown card':<13}"
            f" {row.cards_issued:>6} {row.accepted:>8} {row.overridden:>10}"
            f" {_percent(row.acceptance_rate):>8} {_percent(row.override_rate):>10}"
        )
    return "\n".join(lines)


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{100 * rate:.0f}"
