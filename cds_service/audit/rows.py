"""The audit row of one hook call's assessment, built straight from the (validated) assessment.

The same row `audit_row(audit_record(...))` gives, key for key and value for value (pinned by
tests/test_audit_rows.py), without building the `AuditRecord` model and dumping it again: on the
hook path those two steps cost more than the insert. The assessment was validated when it was
built, so its fields already hold the types the record declares; a value of any other type (a
model built with `model_construct`, say) takes the model path, which validates it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from cds_service.audit.records import AuditCard, audit_record
from cds_service.audit.store import audit_row
from scoring.assessment import Assessment, InputResult, ScoreResult, Tier
from scoring.site_config import SiteConfig

# What an input value may be (`AuditInput.value`), each exactly: a subclass goes the model way.
_PLAIN_VALUES = frozenset({str, float, int, bool, type(None)})


def hook_audit_row(
    *,
    recorded_at: datetime,
    service_id: str,
    hook: str,
    hook_instance: str,
    patient_ref: str | None,
    assessment: Assessment,
    site: SiteConfig,
    cards: Sequence[AuditCard],
) -> dict[str, object]:
    """`audit_row(audit_record(**arguments))`, built directly when every value is plain."""
    if recorded_at.tzinfo is None or not _plain(assessment):
        record = audit_record(
            recorded_at=recorded_at,
            service_id=service_id,
            hook=hook,
            hook_instance=hook_instance,
            patient_ref=patient_ref,
            assessment=assessment,
            site=site,
            cards=cards,
        )
        return audit_row(record)
    versions = {definition.id: definition.version for definition, _origin in site.definitions()}
    return {
        "recorded_at": recorded_at.astimezone(UTC),
        "service_id": service_id,
        "hook": hook,
        "hook_instance": hook_instance,
        "patient_ref": patient_ref or assessment.patient,
        "assessed_on": assessment.today,
        "overall_tier": _tier(assessment.overall_tier),
        "possible_tiers": [_tier(tier) for tier in assessment.possible_tiers],
        "in_scope": assessment.in_scope,
        "scope_code": assessment.scope_code,
        "score_versions": [_score_version(score, versions) for score in assessment.scores],
        "inputs": [_input(item) for item in assessment.inputs],
        "warnings": list(assessment.warnings),
        "cards": [{"uuid": c.uuid, "indicator": c.indicator, "summary": c.summary} for c in cards],
    }


def _plain(assessment: Assessment) -> bool:
    return all(type(item.value) in _PLAIN_VALUES for item in assessment.inputs)


def _tier(tier: Tier | None) -> str | None:
    # A Tier (StrEnum) or, from a model built without validation, its value: as the model
    # validates and dumps it.
    return None if tier is None else Tier(tier).value


def _score_version(score: ScoreResult, versions: dict[str, str]) -> dict[str, object]:
    return {
        "id": score.id,
        # A score the site's definitions do not list cannot have run; "unknown" says so.
        "version": versions.get(score.id, "unknown"),
        "weights_origin": score.weights_origin,
        "status": score.status.value,
        "tier": _tier(score.tier),
    }


def _input(item: InputResult) -> dict[str, object]:
    return {
        "id": item.id,
        "value": item.value,
        "sources": list(item.sources),
        "note": item.note,
        "read_from_text": item.read_from_text,
        "quote": item.quote,
        "text_disagreement": item.text_disagreement,
    }
