"""Site configuration (clinical.md §6): weights and cut-offs for factors-only scores, a replacement
surveillance schedule, extra codes. Validated when loaded; an invalid file stops start-up with a
message naming the offending entry."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from functools import cached_property
from types import MappingProxyType
from typing import Any

from pydantic import ConfigDict, Field, StrictInt, ValidationError, model_validator

from scoring.assessment import Tier
from scoring.definition import (
    DefinitionStatus,
    FactorDefinition,
    ScoreDefinition,
    TierBand,
    max_points,
)
from scoring.definitions.ventin_2025 import VENTIN_2025
from scoring.definitions.zaidi_rrs_2019 import ZAIDI_RRS_2019
from scoring.definitions.zheng_lms_2025 import ZHENG_LMS_2025
from scoring.evaluate import CompiledScore, compile_score
from scoring.fast_reads import FastReadModel
from scoring.schedule import DEFAULT_SCHEDULES, Schedule, SchedulePhase

SCORE_DEFINITIONS: tuple[ScoreDefinition, ...] = (ZAIDI_RRS_2019, VENTIN_2025, ZHENG_LMS_2025)
_BY_ID = {d.id: d for d in SCORE_DEFINITIONS}
_SCORE_TIERS = (Tier.LOW, Tier.INTERMEDIATE, Tier.HIGH)


class SiteConfigError(ValueError):
    """The site configuration file is invalid; the message names the entry."""


class _Strict(FastReadModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Points and months must be written as integers: lax parsing would read `true` or "2" as a number
# and silently put a typo into a risk score or a schedule. Hence StrictInt below.
class TierBandConfig(_Strict):
    tier: Tier
    min: StrictInt = Field(ge=0)
    max: StrictInt = Field(ge=0)


class ScoreWeightsConfig(_Strict):
    weights: dict[str, StrictInt]
    tiers: list[TierBandConfig]


class PhaseConfig(_Strict):
    every_months: StrictInt = Field(gt=0, le=120)
    until_month: StrictInt = Field(gt=0, le=600)


class ScheduleConfig(_Strict):
    first_month: StrictInt = Field(gt=0, le=120)
    phases: list[PhaseConfig] = Field(default_factory=list)
    afterwards: str = Field(default="as clinically indicated", max_length=200)

    @model_validator(mode="after")
    def _phases_increase(self) -> ScheduleConfig:
        last = self.first_month
        for phase in self.phases:
            if phase.until_month < last:
                raise ValueError(f"phase until_month {phase.until_month} is before month {last}")
            last = phase.until_month
        return self


class CodingConfig(_Strict):
    system: str = Field(min_length=1, max_length=200)
    code: str = Field(min_length=1, max_length=100)
    display: str | None = Field(default=None, max_length=200)


# Inputs read from Observations whose code list a site may extend with its local codes
# (clinical.md §6c; the mitotic count has no standard code in §3).
EXTRA_CODE_INPUTS = (
    "tumor_size_cm",
    "grade_reported",
    "ki67_percent",
    "mitoses_per_2mm2",
    "lymphovascular_invasion",
    "nodes_examined",
    "nodes_positive",
    "pn_positive",
    "perineural_invasion",
)


class SiteConfig(_Strict):
    """The validated file. Only factors-only scores may receive weights."""

    scores: dict[str, ScoreWeightsConfig] = Field(default_factory=dict)
    surveillance: dict[Tier, ScheduleConfig] = Field(default_factory=dict)
    extra_codes: dict[str, list[CodingConfig]] = Field(default_factory=dict)

    # Derived once per (immutable) configuration: every assessment reads them.
    def definitions(self) -> tuple[tuple[ScoreDefinition, str], ...]:
        """Each score definition with the origin of its weights."""
        return self._definitions

    def compiled_scores(self) -> tuple[CompiledScore, ...]:
        """`definitions()` in the form the evaluator reads per patient."""
        return self._compiled_scores

    def schedules(self) -> Mapping[Tier, Schedule]:
        return self._schedules

    def extra_code_keys(self) -> Mapping[str, frozenset[tuple[str, str]]]:
        """Per input, the (system, code) pairs the site adds to the published ones."""
        return self._extra_code_keys

    @cached_property
    def _definitions(self) -> tuple[tuple[ScoreDefinition, str], ...]:
        out = []
        for definition in SCORE_DEFINITIONS:
            if definition.id in self.scores:
                out.append(
                    (_apply_weights(definition, self.scores[definition.id]), "site-configured")
                )
            else:
                out.append((definition, "published"))
        return tuple(out)

    @cached_property
    def _compiled_scores(self) -> tuple[CompiledScore, ...]:
        return tuple(compile_score(d, origin) for d, origin in self._definitions)

    @cached_property
    def _schedules(self) -> Mapping[Tier, Schedule]:
        table = dict(DEFAULT_SCHEDULES)
        for tier, entry in self.surveillance.items():
            table[tier] = Schedule(
                entry.first_month,
                tuple(SchedulePhase(p.every_months, p.until_month) for p in entry.phases),
                entry.afterwards,
            )
        return MappingProxyType(table)

    @cached_property
    def _extra_code_keys(self) -> Mapping[str, frozenset[tuple[str, str]]]:
        return MappingProxyType(
            {
                name: frozenset((c.system, c.code) for c in codings)
                for name, codings in self.extra_codes.items()
            }
        )

    @model_validator(mode="after")
    def _check_extra_codes(self) -> SiteConfig:
        for name in self.extra_codes:
            if name not in EXTRA_CODE_INPUTS:
                raise ValueError(
                    f"extra_codes.{name}: unknown input (known: {', '.join(EXTRA_CODE_INPUTS)})"
                )
        return self

    @model_validator(mode="after")
    def _check_scores(self) -> SiteConfig:
        for score_id, config in self.scores.items():
            definition = _BY_ID.get(score_id)
            if definition is None:
                raise ValueError(f"scores.{score_id}: unknown score (known: {', '.join(_BY_ID)})")
            if definition.status is not DefinitionStatus.FACTORS_ONLY:
                raise ValueError(
                    f"scores.{score_id}: published weights of a validated score cannot be changed"
                )
            _apply_weights(definition, config)  # raises ValueError naming the problem
        return self


def _apply_weights(definition: ScoreDefinition, config: ScoreWeightsConfig) -> ScoreDefinition:
    where = f"scores.{definition.id}"
    expected, given = set(definition.factor_ids), set(config.weights)
    if expected != given:
        raise ValueError(
            f"{where}.weights: need exactly {sorted(expected)}; "
            f"missing {sorted(expected - given)}, unknown {sorted(given - expected)}"
        )
    for factor_id, points in config.weights.items():
        if points < 0:
            raise ValueError(f"{where}.weights.{factor_id}: points must not be negative")
    factors = tuple(
        FactorDefinition(f.id, f.label, config.weights[f.id], f.exclusive_group)
        for f in definition.factors
    )
    top = max_points(factors)
    if definition.required_max_points is not None and top != definition.required_max_points:
        raise ValueError(
            f"{where}.weights: the weights reach {top} points; the published score has "
            f"{definition.required_max_points}"
        )
    return replace(definition, factors=factors, tiers=_tier_bands(where, config.tiers, top))


def _tier_bands(where: str, tiers: list[TierBandConfig], top: int) -> tuple[TierBand, ...]:
    bands = sorted(tiers, key=lambda t: t.min)
    if not bands:
        raise ValueError(f"{where}.tiers: at least one tier is needed")
    expected_min = 0
    for band in bands:
        if band.tier not in _SCORE_TIERS:
            raise ValueError(f"{where}.tiers: tier must be one of low, intermediate, high")
        if band.max < band.min:
            raise ValueError(f"{where}.tiers.{band.tier}: max {band.max} is below min {band.min}")
        if band.min != expected_min:
            kind = "gap" if band.min > expected_min else "overlap"
            raise ValueError(f"{where}.tiers: {kind} at {expected_min} points before {band.tier}")
        expected_min = band.max + 1
    if expected_min - 1 != top:
        raise ValueError(
            f"{where}.tiers: must end at the maximum of {top} points, not {expected_min - 1}"
        )
    ranks = [_SCORE_TIERS.index(b.tier) for b in bands]
    if ranks != sorted(set(ranks)):
        raise ValueError(f"{where}.tiers: tiers must rise with points and appear once each")
    return tuple(TierBand(b.tier, b.min, b.max) for b in bands)


def parse_site_config(text: str, *, source: str = "site configuration") -> SiteConfig:
    """Parse YAML or JSON text. Raises SiteConfigError with a message a person can act on."""
    import yaml  # here, not at the top: a `score` without a configuration file never needs it

    try:
        data: Any = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise SiteConfigError(f"{source}: not valid YAML/JSON ({exc.__class__.__name__})") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SiteConfigError(f"{source}: the top level must be a mapping")
    try:
        return SiteConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        location = ".".join(str(part) for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise SiteConfigError(f"{source}: {location + ': ' if location else ''}{message}") from exc


DEFAULT_SITE_CONFIG = SiteConfig()
