"""The machine-readable assessment: what `pannet-cds score` prints and what each card carries
under the extension key `org.pannet-cds.assessment` (cds-api.md "Cards").
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, Generic, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from scoring.fast_reads import FastReadModel


class Tier(StrEnum):
    VERY_LOW = "very-low"
    LOW = "low"
    INTERMEDIATE = "intermediate"
    HIGH = "high"


TIER_ORDER: tuple[Tier, ...] = (Tier.VERY_LOW, Tier.LOW, Tier.INTERMEDIATE, Tier.HIGH)


_RANK = {tier: rank for rank, tier in enumerate(TIER_ORDER)}


def tier_rank(tier: Tier) -> int:
    try:
        return _RANK[tier]  # a dozen calls per assessment: a lookup, not a scan
    except (KeyError, TypeError):
        return TIER_ORDER.index(tier)  # not a tier: the ValueError it always raised


_RANK_OF = _RANK.__getitem__


def sorted_tiers(tiers: set[Tier] | frozenset[Tier]) -> list[Tier]:
    try:
        # the rank looked up in C: a Python key function per tier cost more than the sort
        return sorted(tiers, key=_RANK_OF)
    except (KeyError, TypeError):
        return sorted(tiers, key=tier_rank)  # not a tier: the ValueError it always raised


class ScoreStatus(StrEnum):
    SCORED = "scored"
    PARTIAL = "partial"
    FACTORS_ONLY = "factors-only"
    NOT_APPLICABLE = "not-applicable"


class _Model(FastReadModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FactorResult(_Model):
    """One factor of one score. `value` is true, false or null (unknown)."""

    id: str
    label: str
    value: bool | None
    weight: int | None = Field(description="points when present; null for factors-only scores")
    points: int | None = Field(description="points awarded; null when unknown or unweighted")
    source: str | None = Field(description="the FHIR reference (Type/id) the value came from")
    sources: list[str] = Field(default_factory=list)
    detail: str | None = None


class ScoreResult(_Model):
    id: str
    title: str
    citation: str
    citation_url: str
    status: ScoreStatus
    eligible: bool | None = Field(
        default=True,
        description="in the score's population: true, false, or null when the record cannot tell",
    )
    weights_origin: str | None = Field(
        default=None, description="'published' or 'site-configured'; null when unweighted"
    )
    points: int | None = None
    points_range: list[int] | None = None
    max_points: int | None = None
    tier: Tier | None = None
    possible_tiers: list[Tier] = Field(default_factory=list)
    factors: list[FactorResult] = Field(default_factory=list)
    present: int = 0
    unknown: int = 0
    missing: list[str] = Field(default_factory=list)
    reason: str | None = None
    notes: list[str] = Field(default_factory=list)


class InputResult(_Model):
    """An input as read from the record, for the card's and the app's "where from" column."""

    id: str
    label: str
    value: str | float | int | bool | None
    sources: list[str] = Field(default_factory=list)
    note: str | None = None
    read_from_text: bool = Field(
        default=False, description="read from the report text (clinical.md §3.3): confirm it"
    )
    quote: str | None = Field(default=None, description="the exact phrase of the report")
    text_disagreement: str | None = Field(
        default=None, description="how report text and discrete data disagreed (§3.2)"
    )


class SurveillancePlan(_Model):
    tier: Tier | None
    basis: str
    anchor_date: str | None = Field(description="resection date the schedule counts from")
    schedule_months: list[int] = Field(default_factory=list)
    schedule_dates: list[str] = Field(default_factory=list)
    next_due: str | None = None
    due_now: bool = False
    overdue: bool = False
    overdue_since: str | None = Field(
        default=None,
        description="when overdue: the due date of the first exam missed since the last imaging"
        " (since the resection when there is none)",
    )
    days_overdue: int | None = Field(default=None, description="days since overdue_since")
    missed_dates: list[str] = Field(
        default_factory=list,
        description="due dates already past with no imaging done or ordered in their window",
    )
    last_imaging: str | None = None
    imaging_sources: list[str] = Field(default_factory=list)
    suggest_chromogranin: bool = False
    lighter_if_known: list[str] = Field(
        default_factory=list, description="missing data that could allow a lighter schedule"
    )


class Assessment(_Model):
    overall_tier: Tier | None
    possible_tiers: list[Tier]
    in_scope: bool
    scope_code: str | None = Field(
        default=None,
        description="why out of scope: see scoring.scope.OutOfScope",
    )
    scope_reason: str | None = None
    scores: list[ScoreResult]
    guideline_flags: list[str] = Field(default_factory=list)
    surveillance: SurveillancePlan | None
    inputs: list[InputResult] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    patient: str | None = None
    today: str


M = TypeVar("M", bound=BaseModel)


class _Shape(NamedTuple):
    """Per class, what `built` needs."""

    defaults: dict[str, Any]  # every field's default in field order (None where there is none)
    factories: tuple[tuple[str, Callable[[], Any]], ...]  # the default factories
    count: int  # the number of fields
    # Every field's name: the fields set of a result given all of them, copied per result (a
    # copy of a set is a copy of its table, without hashing every name into a new one).
    every: frozenset[str]


_SHAPES: dict[type, _Shape] = {}
_new = object.__new__
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__
# A result's field values by name (its `__dict__`), for a caller reading several fields of one
# result: a dict lookup each. Where `scoring.fast_reads` cannot remove pydantic's `__getattr__`
# hook, each attribute read costs ~5x that.
fields_of: Callable[[BaseModel], dict[str, Any]] = BaseModel.__dict__["__dict__"].__get__


def _shape(cls: type[BaseModel]) -> _Shape:
    fields = cls.model_fields
    defaults = {n: None if f.is_required() else f.get_default() for n, f in fields.items()}
    factories = tuple((n, f.default_factory) for n, f in fields.items() if f.default_factory)
    shape = _SHAPES[cls] = _Shape(defaults, factories, len(fields), frozenset(fields))  # type: ignore[arg-type]
    return shape


def built(cls: type[M], values: dict[str, Any]) -> M:
    """`cls(**values)` for values that already are exactly of their fields' types (the
    scoring's own results), without the validation pass, which would return them unchanged:
    the same instance state (`__dict__` in field order, which the JSON follows; the fields
    set). At 40 results per assessment, validating them was the largest cost of `assess`.

    The keys must be field names, every required one; a dict of every field must list them in
    field order (tests/test_scoring_built.py compares the state with validated results).
    Values from a record or a user go through `cls(**values)` (`validated`)."""
    shape = _SHAPES.get(cls)
    if shape is None:
        shape = _shape(cls)
    if len(values) == shape.count:
        # The keys are field names, as many as there are fields: every field, so the fields
        # set is the set of every name.
        fields_set = set(shape.every)
    else:
        fields_set = set(values)
        defaults, factories, _, _ = shape
        values = {**defaults, **values}
        for name, factory in factories:
            if name not in fields_set:
                values[name] = factory()
    model = _new(cls)
    # What BaseModel.model_construct sets, through the same slots.
    _set_dict(model, values)
    _set_fields_set(model, fields_set)
    _set_extra(model, None)
    _set_private(model, None)
    return model


def validated(cls: type[M], values: dict[str, Any]) -> M:
    return cls(**values)


class Maker(Generic[M]):
    """`built(cls, values)` and `validated(cls, values)` as functions of the fields in `names`,
    given by keyword (a result has up to 16 fields, several of one type: keywords keep a call
    site readable and a swap visible): the built one is generated once per call site's field
    list (no dict to merge with the defaults, no shape lookup per result), with the defaults
    and the default factories of the fields left out, the dict in field order and the fields
    set of `names` (tests/test_scoring_built.py compares it with `built`)."""

    def __init__(self, cls: type[M], names: tuple[str, ...]) -> None:
        fields = cls.model_fields
        unknown = [n for n in names if n not in fields]
        if unknown or len(set(names)) != len(names):
            raise TypeError(f"{cls.__name__}: not its fields, or repeated: {names}")
        namespace: dict[str, Any] = {
            "_new": _new,
            "_set_dict": _set_dict,
            "_set_fields_set": _set_fields_set,
            "_set_extra": _set_extra,
            "_set_private": _set_private,
            "_cls": cls,
            "_given": frozenset(names),
        }
        entries = []
        for index, (name, field) in enumerate(fields.items()):
            if name in names:
                entries.append(f"{name!r}: {name}")
            elif field.is_required():
                raise TypeError(f"{cls.__name__}.{name}: required")
            elif field.default_factory is not None:
                namespace[f"_factory{index}"] = field.default_factory
                entries.append(f"{name!r}: _factory{index}()")
            else:
                namespace[f"_default{index}"] = field.get_default()
                entries.append(f"{name!r}: _default{index}")
        source = (
            f"def built(*, {', '.join(names)}):\n"
            "    model = _new(_cls)\n"
            f"    _set_dict(model, {{{', '.join(entries)}}})\n"
            "    _set_fields_set(model, set(_given))\n"
            "    _set_extra(model, None)\n"
            "    _set_private(model, None)\n"
            "    return model\n"
        )
        exec(source, namespace)  # built from the model's field names only
        self.built: Callable[..., M] = namespace["built"]
        self.cls = cls
        self.names = names

    def validated(self, **values: Any) -> M:
        self._check(values)
        return self.cls(**values)

    def using(self, make: Make) -> Callable[..., M]:
        """The function that makes results as `make` would."""
        if make is built:
            return self.built
        if make is validated:
            return self.validated

        def made(**values: Any) -> M:
            self._check(values)
            return make(self.cls, values)

        return made

    def _check(self, values: dict[str, Any]) -> None:
        # as the generated `built` refuses a missing or an unknown keyword
        if values.keys() != set(self.names):
            raise TypeError(f"{self.cls.__name__}: fields {sorted(values)}, not {self.names}")


# How results are made: `built` when every value is known to have its field's type,
# `validated` otherwise.
Make = Callable[[type[M], dict[str, Any]], M]
