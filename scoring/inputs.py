"""Clinical facts a score is computed from, each carrying the references of its sources.

The mappers (`fhir_mappers`) build a `ClinicalInputs` from a FHIR record; everything in
`scoring` reads only this. A value of `None` always means *unknown*, never *absent*
(clinical.md §3.2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Fact(Generic[T]):
    """One input value with the FHIR references (`Type/id`) it was read from.

    `quote` is the exact phrase of a report the value was read from: its presence means "read
    from the report text" (clinical.md §3.3), and the card asks the clinician to confirm it.
    `text_disagreement` says how report text and discrete data disagreed for this input
    (the worse value is used, §3.2), whichever of the two won.
    """

    value: T | None = None
    sources: tuple[str, ...] = ()
    note: str | None = None
    quote: str | None = None
    text_disagreement: str | None = None

    @property
    def known(self) -> bool:
        return self.value is not None


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class Grade(StrEnum):
    """WHO 2019/2022 grade of a digestive NET (clinical.md §3.1)."""

    G1 = "G1"
    G2 = "G2"
    G3 = "G3"


class PrimarySite(StrEnum):
    PANCREAS = "pancreas"
    OTHER_GEP = "other-gep"


class ImagingState(StrEnum):
    DONE = "done"
    ORDERED = "ordered"


@dataclass(frozen=True)
class ImagingEvent:
    """An abdominal CT/MRI done or ordered: what surveillance already has on record."""

    when: date
    state: ImagingState
    source: str
    modality: str = "CT/MRI"


@dataclass(frozen=True)
class Resection:
    performed: date | None
    source: str
    description: str = ""


@dataclass(frozen=True)
class ClinicalInputs:
    """Everything the scores and the surveillance plan read, already mapped from FHIR."""

    patient: str | None = None
    sex: Fact[Sex] = field(default_factory=Fact)
    tumor_size_cm: Fact[float] = field(default_factory=Fact)
    grade_reported: Fact[Grade] = field(default_factory=Fact)
    ki67_percent: Fact[float] = field(default_factory=Fact)
    mitoses_per_2mm2: Fact[float] = field(default_factory=Fact)
    lymphovascular_invasion: Fact[bool] = field(default_factory=Fact)
    nodes_examined: Fact[int] = field(default_factory=Fact)
    nodes_positive: Fact[int] = field(default_factory=Fact)
    # pN category read as node-positive (pN1) / node-negative (pN0), when counts are absent
    pn_positive: Fact[bool] = field(default_factory=Fact)
    perineural_invasion: Fact[bool] = field(default_factory=Fact)
    symptomatic: Fact[bool] = field(default_factory=Fact)
    functional: Fact[bool] = field(default_factory=Fact)
    adjuvant_therapy: Fact[bool] = field(default_factory=Fact)
    primary_site: Fact[PrimarySite] = field(default_factory=Fact)
    # True only when a record says the tumour is a poorly differentiated carcinoma (NEC)
    poorly_differentiated: Fact[bool] = field(default_factory=Fact)
    # True only when a record shows distant metastasis present at surgery
    metastatic_at_surgery: Fact[bool] = field(default_factory=Fact)
    # True when a recurrence, or a metastasis first recorded after the resection, is on record
    # (clinical.md §1); never False (no record of recurrence is not proof of none)
    recurrence: Fact[bool] = field(default_factory=Fact)
    # Resection margins involved by tumour: context only, no score reads it
    margins_involved: Fact[bool] = field(default_factory=Fact)
    diagnosis: str | None = None
    resection: Resection | None = None
    preop_chromogranin_elevated: Fact[bool] = field(default_factory=Fact)
    imaging: tuple[ImagingEvent, ...] = ()
    # Things the mapper saw but could not use, for the card (e.g. "Observation/x: no unit")
    warnings: tuple[str, ...] = ()
