"""From clinical inputs to the full assessment: every applicable score, the overall tier and the
surveillance plan. The one entry point the CLI, the CDS service and the SMART app call."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from operator import attrgetter
from typing import Any

from scoring.assessment import (
    Assessment,
    InputResult,
    Make,
    Maker,
    Tier,
    built,
    fields_of,
    sorted_tiers,
    tier_rank,
    validated,
)
from scoring.combine import (
    GuidelineFlag,
    describe,
    guideline_flags,
    is_very_low,
    overall_tiers,
    surveillance_tiers,
)
from scoring.evaluate import evaluate_compiled
from scoring.factors import FactorValue, node_positive
from scoring.grade import GradeFinding, derive_grade, grade_text
from scoring.inputs import ClinicalInputs, Fact, Grade, PrimarySite, Sex
from scoring.scope import check_scope
from scoring.site_config import DEFAULT_SITE_CONFIG, SiteConfig
from scoring.surveillance import plan_surveillance


def assess(
    inputs: ClinicalInputs, *, today: date, site: SiteConfig = DEFAULT_SITE_CONFIG
) -> Assessment:
    facts = _read_facts(inputs)
    # The results are made without a validation pass only when every value the record hands
    # them already has its field's type; otherwise validated, exactly as before (same errors).
    make: Make = built if _plain_record(inputs, facts) else validated
    scope = check_scope(inputs)
    future = _future_resection(inputs, today)
    grade = derive_grade(inputs)
    common = {
        "patient": inputs.patient,
        "today": today.isoformat(),
        "inputs": input_results(inputs, future, make=make, facts=facts, grade=grade),
        "warnings": list(inputs.warnings) + ([future] if future else []),
    }
    if not scope.in_scope:
        return _OUT_OF_SCOPE.using(make)(
            **common,
            overall_tier=None,
            possible_tiers=[],
            in_scope=False,
            scope_code=scope.code.value if scope.code else None,
            scope_reason=scope.reason,
            scores=[],
            surveillance=None,
        )

    # Factor values by id, read once for all scores (they share some).
    values: dict[str, FactorValue] = {}
    scores = [evaluate_compiled(s, inputs, values, make) for s in site.compiled_scores()]
    results = list(map(fields_of, scores))  # their fields (`fields_of`)
    established = {s["id"] for s in results if s["eligible"] is True}
    overall = overall_tiers(scores, established=established)
    nodes = values.get("node_positive") or node_positive(inputs)
    flags = guideline_flags(inputs, nodes=nodes)
    maybe_untiered = not any(s["possible_tiers"] for s in results if s["id"] in established)
    needed = surveillance_tiers(overall, flags, maybe_untiered=maybe_untiered)
    scheduled = max(needed, key=tier_rank)
    if is_very_low(inputs, needed, grade=grade, nodes=nodes):
        scheduled, basis = Tier.VERY_LOW, "very low: G1, N0, < 2 cm and low risk"
    elif len(needed) == 1 and overall == needed:
        basis = f"overall tier {scheduled.value}"
    elif len(needed) == 1 and len(overall) == 1 and any(f.value for f in flags):
        basis = (
            f"overall tier {next(iter(overall)).value}, raised to {scheduled.value} by the "
            "guideline floor (node-positive or Ki-67 > 5 %)"
        )
    elif not overall:
        basis = f"no score could assign a tier; scheduled as {scheduled.value} until data allow"
    else:
        basis = f"possible tiers {describe(needed)}; scheduled by the highest"

    resection = inputs.resection
    plan = plan_surveillance(
        tier=scheduled,
        basis=basis,
        schedule=site.schedules()[scheduled],
        # A resection date after today cannot anchor a schedule: unknown, so the card is shown
        # with the warning instead of a plan that silently starts in the future.
        anchor=resection.performed if resection and not future else None,
        today=today,
        imaging=inputs.imaging,
        suggest_chromogranin=bool(
            inputs.preop_chromogranin_elevated.value or inputs.functional.value
        ),
        lighter_if_known=_lighter_if_known(results, flags, needed, established),
        make=make,
    )
    return _IN_SCOPE.using(make)(
        **common,
        overall_tier=next(iter(overall)) if len(overall) == 1 else None,
        possible_tiers=sorted_tiers(overall),
        in_scope=True,
        scores=scores,
        guideline_flags=[f.text for f in flags],
        surveillance=plan,
    )


_COMMON = ("patient", "today", "inputs", "warnings", "overall_tier", "possible_tiers", "in_scope")
_OUT_OF_SCOPE = Maker(
    Assessment, (*_COMMON, "scope_code", "scope_reason", "scores", "surveillance")
)
_IN_SCOPE = Maker(Assessment, (*_COMMON, "scores", "guideline_flags", "surveillance"))


_NONE = type(None)
# What InputResult.value takes as it is (an enum gives its `.value`, a str).
_PLAIN_VALUES = frozenset({str, float, int, bool, _NONE, Sex, Grade, PrimarySite})
_OPTIONAL_TEXT = frozenset({str, _NONE})
_ENUMS = frozenset({Sex, Grade, PrimarySite})


_STR = frozenset({str})


def _plain_record(inputs: ClinicalInputs, facts: Sequence[Fact]) -> bool:
    """Whether every value the record passes into the results as it is (fact values, sources,
    notes, quotes, warnings, references) already has its result field's type, so validation
    would return it unchanged. ClinicalInputs is a plain dataclass: this is its type check."""
    for fact in facts:
        if (
            type(fact.value) not in _PLAIN_VALUES
            or type(fact.note) not in _OPTIONAL_TEXT
            or type(fact.quote) not in _OPTIONAL_TEXT
            or type(fact.text_disagreement) not in _OPTIONAL_TEXT
        ):
            return False
        for source in fact.sources:
            if type(source) is not str:
                return False
    texts = [*inputs.warnings, *(event.source for event in inputs.imaging)]
    if inputs.diagnosis:
        texts.append(inputs.diagnosis)
    if inputs.resection is not None:
        texts.append(inputs.resection.source)
    return _STR.issuperset(map(type, texts)) and type(inputs.patient) in _OPTIONAL_TEXT


def _lighter_if_known(
    scores: list[dict[str, Any]],
    flags: list[GuidelineFlag],
    needed: set[Tier],
    established: set[str],
) -> list[str]:
    """`scores`: the fields of each score's result (`fields_of`)."""
    if len(needed) <= 1:
        return []
    out: list[str] = []
    for score in scores:
        possible = score["possible_tiers"]
        uncertain = possible and score["id"] not in established
        if len(possible) > 1 or uncertain:
            out.extend(m for m in score["missing"] if m not in out)
    out.extend(f.settled_by for f in flags if f.value is None and f.settled_by not in out)
    return out


_INPUT_LABELS: tuple[tuple[str, str], ...] = (
    ("sex", "Sex"),
    ("tumor_size_cm", "Tumour greatest dimension (cm)"),
    ("grade_reported", "Reported WHO grade"),
    ("ki67_percent", "Ki-67 index (%)"),
    ("mitoses_per_2mm2", "Mitotic count (per 2 mm²)"),
    ("lymphovascular_invasion", "Lymphovascular invasion"),
    ("nodes_examined", "Regional lymph nodes examined"),
    ("nodes_positive", "Regional lymph nodes positive"),
    ("pn_positive", "pN category positive (pN1)"),
    ("perineural_invasion", "Perineural invasion (context only)"),
    ("symptomatic", "Symptomatic at presentation"),
    ("functional", "Functional tumour"),
    ("adjuvant_therapy", "Adjuvant therapy after surgery"),
    ("primary_site", "Primary site"),
    ("metastatic_at_surgery", "Distant metastasis at surgery"),
    ("recurrence", "Recurrence after resection"),
    ("preop_chromogranin_elevated", "Pre-operative chromogranin A above range"),
    ("margins_involved", "Resection margins involved (context only)"),
)


# The labelled facts of a record, in `_INPUT_LABELS` order, read in one C call.
_read_facts: Callable[[ClinicalInputs], tuple[Fact, ...]] = attrgetter(
    *(name for name, _ in _INPUT_LABELS)
)


def _future_resection(inputs: ClinicalInputs, today: date) -> str | None:
    """The warning for a resection dated after today (bad input a user meets), or None."""
    resection = inputs.resection
    if resection is None or resection.performed is None or resection.performed <= today:
        return None
    return (
        f"{resection.source}: resection date {resection.performed.isoformat()} is after today "
        f"({today.isoformat()}); not used to schedule surveillance: correct the record"
    )


_INPUT = Maker(
    InputResult,
    ("id", "label", "value", "sources", "note", "read_from_text", "quote", "text_disagreement"),
)


def input_results(
    inputs: ClinicalInputs,
    future: str | None = None,
    *,
    make: Make = validated,
    facts: Sequence[Fact] | None = None,
    grade: GradeFinding | None = None,
) -> list[InputResult]:
    """`facts`, `grade`: the labelled facts of `inputs` and `derive_grade(inputs)`, when the
    caller has them already."""
    if facts is None:
        facts = _read_facts(inputs)
    new_input = _INPUT.using(make)
    out = []
    for (field_name, label), fact in zip(_INPUT_LABELS, facts, strict=True):
        value = fact.value
        kind = type(value)
        if kind in _ENUMS:
            value = value._value_  # its `.value`, without the enum's Python-level property
        elif kind not in _PLAIN_VALUES and hasattr(value, "value"):
            value = value.value
        quote = fact.quote
        out.append(
            new_input(
                id=field_name,
                label=label,
                value=value,
                sources=list(fact.sources),
                note=fact.note,
                read_from_text=quote is not None,
                quote=quote,
                text_disagreement=fact.text_disagreement,
            )
        )
    if grade is None:
        grade = derive_grade(inputs)
    out.append(
        make(
            InputResult,
            {
                "id": "who_grade",
                "label": "WHO grade (reported, or from Ki-67 and mitoses)",
                "value": grade_text(grade.possible, " or "),
                "sources": list(grade.sources),
                "note": grade.basis,
            },
        )
    )
    if inputs.resection is not None:
        performed = inputs.resection.performed
        out.append(
            make(
                InputResult,
                {
                    "id": "resection",
                    "label": "Resection",
                    "value": performed.isoformat() if performed else None,
                    "sources": [inputs.resection.source],
                    "note": "; ".join(
                        filter(None, [inputs.resection.description, future and "after today"])
                    )
                    or None,
                },
            )
        )
    if inputs.diagnosis:
        out.append(
            make(
                InputResult,
                {
                    "id": "diagnosis",
                    "label": "Diagnosis",
                    "value": "recorded",
                    "sources": [inputs.diagnosis],
                },
            )
        )
    return out
