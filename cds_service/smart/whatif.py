""" "What if": values the clinician enters for inputs the record lacks, applied on top of the
record's inputs and scored by the same engine. Entered values are marked as such in every
result (source "entered in app") and never written anywhere."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from scoring.inputs import ClinicalInputs, Fact, Grade

ENTERED_SOURCE = "entered in app"
ENTERED_NOTE = "not from the record"


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
        "symptomatic", "Symptomatic at presentation (jaundice, pain, GI bleeding)", "yes-no"
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


def editable_fields(inputs: ClinicalInputs) -> list[WhatIfField]:
    """Only inputs the record does not know: the app never overrides a recorded value."""
    return [f for f in FIELDS if not getattr(inputs, f.name).known]


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


def apply_what_if(inputs: ClinicalInputs, form: WhatIfForm) -> ClinicalInputs:
    entered = {
        name: Fact(_fact_value(value), sources=(ENTERED_SOURCE,), note=ENTERED_NOTE)
        for name, value in form.entered().items()
    }
    return replace(inputs, **entered)
