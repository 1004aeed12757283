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
    inputs = _plain_inputs(assessment.inputs)
    if recorded_at.tzinfo is None or inputs is None:
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
    # The models' fields read from their `__dict__`, one dict for all of them (an attribute
    # read runs pydantic's `__getattr__` hook wherever `scoring.fast_reads` cannot remove it).
    fields = assessment.__dict__
    return {
        "recorded_at": recorded_at.astimezone(UTC),
        "service_id": service_id,
        "hook": hook,
        "hook_instance": hook_instance,
        "patient_ref": patient_ref or fields["patient"],
        "assessed_on": fields["today"],
        "overall_tier": _tier(fields["overall_tier"]),
        "possible_tiers": [_tier(tier) for tier in fields["possible_tiers"]],
        "in_scope": fields["in_scope"],
        "scope_code": fields["scope_code"],
        "score_versions": [_score_version(score, versions) for score in fields["scores"]],
        "inputs": inputs,
        "warnings": list(fields["warnings"]),
        "cards": [{"uuid": c.uuid, "indicator": c.indicator, "summary": c.summary} for c in cards],
    }


def _plain_inputs(items: Sequence[InputResult]) -> list[dict[str, object]] | None:
    """The rows of `items`, or None if a value is not exactly of a type `AuditInput.value`
    declares (such a value takes the model path, which validates it)."""
    rows: list[dict[str, object]] = []
    for item in items:
        fields = item.__dict__
        value = fields["value"]
        if type(value) not in _PLAIN_VALUES:
            return None
        rows.append(
            {
                "id": fields["id"],
                "value": value,
                "sources": list(fields["sources"]),
                "note": fields["note"],
                "read_from_text": fields["read_from_text"],
                "quote": fields["quote"],
                "text_disagreement": fields["text_disagreement"],
            }
        )
    return rows


def _tier(tier: Tier | None) -> str | None:
    # A Tier (StrEnum) or, from a model built without validation, its value: as the model
    # validates and dumps it.
    return None if tier is None else Tier(tier).value


def _score_version(score: ScoreResult, versions: dict[str, str]) -> dict[str, object]:
    fields = score.__dict__
    score_id = fields["id"]
    return {
        "id": score_id,
        # A score the site's definitions do not list cannot have run; "unknown" says so.
        "version": versions.get(score_id, "unknown"),
        "weights_origin": fields["weights_origin"],
        "status": fields["status"].value,
        "tier": _tier(fields["tier"]),
    }
