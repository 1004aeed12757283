""" "What if": values the clinician enters for inputs the record lacks, applied on top of the
record's inputs and scored by the same engine. A value the record holds only as report text may
be confirmed (kept, now as the clinician's entry) or corrected (replaced by the clinician's
value); a discrete recorded value is never overridden. Entered, confirmed and corrected values are
marked as the clinician's in every result (source "entered in app" / "confirmed in app") and never
written anywhere."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from scoring.inputs import ClinicalInputs, Fact, Grade

ENTERED_SOURCE = "entered in app"
ENTERED_NOTE = "not from the record"
CONFIRMED_SOURCE = "confirmed in app"
CONFIRM_PREFIX = "confirm-"


class Choice(StrEnum):
    YES = "yes"
    NO = "no"


@dataclass(frozen=True)
class WhatIfField:
    name: str
    label: str
    kind: str  # "number", "integer", "yes-no", "grade"
    unit: str = ""
    minimum: float = 0
    maximum: float = 100
    step: str = "any"


# The inputs the scores use that a clinician can know from outside the record.
FIELDS: tuple[WhatIfField, ...] = (
    WhatIfField(
        "symptomatic",
        "Symptomatic at presentation (jaundice, abdominal pain, GI bleeding)",
        "yes-no",
    ),
    WhatIfField("ki67_percent", "Ki-67 index", "number", "%", 0, 100, "0.1"),
    WhatIfField("tumor_size_cm", "Tumour greatest dimension", "number", "cm", 0, 50, "0.1"),
    WhatIfField("grade_reported", "Reported WHO grade", "grade"),
    WhatIfField("lymphovascular_invasion", "Lymphovascular invasion", "yes-no"),
    WhatIfField("nodes_examined", "Regional lymph nodes examined", "integer", "", 0, 200, "1"),
    WhatIfField("nodes_positive", "Regional lymph nodes positive", "integer", "", 0, 200, "1"),
    WhatIfField("adjuvant_therapy", "Adjuvant therapy after surgery", "yes-no"),
)
FIELD_BY_NAME = {f.name: f for f in FIELDS}


class WhatIfForm(BaseModel):
    """The form as posted; empty fields are None (not entered)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    symptomatic: Choice | None = None
    ki67_percent: float | None = Field(default=None, ge=0, le=100)
    tumor_size_cm: float | None = Field(default=None, gt=0, le=50)
    grade_reported: Grade | None = None
    lymphovascular_invasion: Choice | None = None
    nodes_examined: int | None = Field(default=None, ge=0, le=200)
    nodes_positive: int | None = Field(default=None, ge=0, le=200)
    adjuvant_therapy: Choice | None = None

    @model_validator(mode="after")
    def _nodes_consistent(self) -> WhatIfForm:
        if (
            self.nodes_examined is not None
            and self.nodes_positive is not None
            and self.nodes_positive > self.nodes_examined
        ):
            raise ValueError("positive nodes cannot exceed the nodes examined")
        return self

    def entered(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


@dataclass(frozen=True)
class Entry:
    """One value the clinician gave, for the result page: how is entered | corrected | confirmed."""

    label: str
    value: str
    unit: str
    how: str
    read: str | None = None  # for a correction: the value the report text gave


def editable_fields(inputs: ClinicalInputs) -> list[WhatIfField]:
    """Inputs the record does not know: the app never overrides a discrete recorded value."""
    return [f for f in FIELDS if not getattr(inputs, f.name).known]


def text_fields(inputs: ClinicalInputs) -> list[WhatIfField]:
    """Inputs whose value was read from report text (a quote): to confirm or correct."""
    return [f for f in FIELDS if getattr(inputs, f.name).known and getattr(inputs, f.name).quote]


def parse_confirmations(
    raw: dict[str, str], texts: list[WhatIfField], form: WhatIfForm | None
) -> tuple[frozenset[str], str]:
    """The text-derived inputs ticked "confirm"; an error when one is also corrected."""
    names = {f.name for f in texts}
    ticked = {
        k.removeprefix(CONFIRM_PREFIX)
        for k, v in raw.items()
        if k.startswith(CONFIRM_PREFIX) and v == "yes"
    }
    refused = sorted(ticked - names)
    if refused:
        return frozenset(), "Only values read from the report text can be confirmed."
    corrected = sorted(ticked & set(form.entered() if form else ()))
    if corrected:
        label = FIELD_BY_NAME[corrected[0]].label
        return frozenset(), f"{label}: either confirm the value read from the report or correct it"
    return frozenset(ticked), ""


def parse_form(raw: dict[str, str], allowed: list[WhatIfField]) -> tuple[WhatIfForm | None, str]:
    """The form, or None and a message naming the field at fault."""
    names = {f.name for f in allowed}
    values = {k: v.strip() for k, v in raw.items() if k in FIELD_BY_NAME and v.strip()}
    refused = sorted(set(values) - names)
    if refused:
        labels = ", ".join(FIELD_BY_NAME[n].label for n in refused)
        return None, f"The record already has a value for: {labels}."
    try:
        return WhatIfForm.model_validate(values), ""
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else ""
        label = FIELD_BY_NAME[name].label if name in FIELD_BY_NAME else "Form"
        return None, f"{label}: {first['msg'].removeprefix('Value error, ')}"


def _fact_value(value: Any) -> Any:
    if isinstance(value, Choice):
        return value is Choice.YES
    return value


def apply_what_if(
    inputs: ClinicalInputs, form: WhatIfForm, confirmed: frozenset[str] = frozenset()
) -> ClinicalInputs:
    changed: dict[str, Fact] = {}
    for name, value in form.entered().items():
        before: Fact = getattr(inputs, name)
        note = ENTERED_NOTE
        if before.quote:
            note = f"corrected in app; the report text read {before.value}: not from the record"
        changed[name] = Fact(_fact_value(value), sources=(ENTERED_SOURCE,), note=note)
    for name in confirmed:
        before = getattr(inputs, name)
        # Kept as the clinician's entry; the report stays named as where it was read.
        changed[name] = Fact(
            before.value,
            sources=(CONFIRMED_SOURCE, *before.sources),
            note="confirmed in app by the clinician; the record has it only as report text",
        )
    return replace(inputs, **changed)


def entries(inputs: ClinicalInputs, form: WhatIfForm, confirmed: frozenset[str]) -> list[Entry]:
    out = []
    for name, value in form.entered().items():
        field = FIELD_BY_NAME[name]
        before = getattr(inputs, name)
        if before.quote:
            out.append(
                Entry(field.label, _shown(value), field.unit, "corrected", _shown(before.value))
            )
        else:
            out.append(Entry(field.label, _shown(value), field.unit, "entered"))
    for name in sorted(confirmed):
        field = FIELD_BY_NAME[name]
        out.append(Entry(field.label, _shown(getattr(inputs, name).value), field.unit, "confirmed"))
    return out


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(getattr(value, "value", value))
