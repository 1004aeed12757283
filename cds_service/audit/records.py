"""The audit record of one assessment: what is stored and what an export carries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import ConfigDict, Field

from scoring.assessment import Assessment, Tier
from scoring.fast_reads import FastReadModel
from scoring.site_config import SiteConfig


class _Strict(FastReadModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScoreVersion(_Strict):
    """Which definition of a score produced a result (site-configured weights say so)."""

    id: str
    version: str
    weights_origin: str | None
    status: str
    tier: Tier | None


class AuditInput(_Strict):
    """An input value as the assessment read it, with the FHIR references (Type/id) it came from."""

    id: str
    value: str | float | int | bool | None
    sources: list[str] = Field(default_factory=list)
    note: str | None = None
    # A reviewer must see that a value came from report text, and the phrase it came from
    # (clinical.md §3.3), without parsing the note. Records stored before these fields read
    # back with the defaults.
    read_from_text: bool = False
    quote: str | None = None
    text_disagreement: str | None = None


class AuditCard(_Strict):
    uuid: str | None
    indicator: str
    summary: str


class AuditRecord(_Strict):
    """One assessment made for one hook call (`id` is None until stored)."""

    id: int | None = None
    recorded_at: datetime
    service_id: str
    hook: str
    hook_instance: str
    patient_ref: str | None
    assessed_on: str
    overall_tier: Tier | None
    possible_tiers: list[Tier]
    in_scope: bool
    scope_code: str | None
    score_versions: list[ScoreVersion]
    inputs: list[AuditInput]
    warnings: list[str]
    cards: list[AuditCard]


def audit_record(
    *,
    recorded_at: datetime,
    service_id: str,
    hook: str,
    hook_instance: str,
    patient_ref: str | None,
    assessment: Assessment,
    site: SiteConfig,
    cards: Sequence[AuditCard],
) -> AuditRecord:
    """Everything needed to re-trace `assessment`: versions come from the site's definitions,
    so a site that re-weighted a score is visible in the record."""
    versions = {definition.id: definition.version for definition, _origin in site.definitions()}
    return AuditRecord(
        recorded_at=recorded_at,
        service_id=service_id,
        hook=hook,
        hook_instance=hook_instance,
        patient_ref=patient_ref or assessment.patient,
        assessed_on=assessment.today,
        overall_tier=assessment.overall_tier,
        possible_tiers=list(assessment.possible_tiers),
        in_scope=assessment.in_scope,
        scope_code=assessment.scope_code,
        score_versions=[
            ScoreVersion(
                id=score.id,
                # A score the site's definitions do not list cannot have run; "unknown" says so.
                version=versions.get(score.id, "unknown"),
                weights_origin=score.weights_origin,
                status=score.status.value,
                tier=score.tier,
            )
            for score in assessment.scores
        ],
        inputs=[
            AuditInput(
                id=i.id,
                value=i.value,
                sources=list(i.sources),
                note=i.note,
                read_from_text=i.read_from_text,
                quote=i.quote,
                text_disagreement=i.text_disagreement,
            )
            for i in assessment.inputs
        ],
        warnings=list(assessment.warnings),
        cards=list(cards),
    )
