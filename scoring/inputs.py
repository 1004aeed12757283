"""Clinical facts a score is computed from, each carrying the references of its sources.

The mappers (`fhir_mappers`) build a `ClinicalInputs` from a FHIR record; everything in
`scoring` reads only this. A value of `None` always means *unknown*, never *absent*
(clinical.md §3.2).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Generic, TypeVar

T = TypeVar("T")

# class -> the __init__ dataclass generated for it (tests compare it with the one used)
DATACLASS_INITS: dict[type, Callable[..., None]] = {}
_FACTORY: Any = object()  # a default-factory field's parameter default: "not given"


def _dict_init(cls: type) -> type:
    """Give the frozen dataclass `cls` an __init__ that writes its instance dict in one
    update: the generated one sets each field through object.__setattr__ (ClinicalInputs'
    25 fields: ~4.3 us; built once or twice per record, a Fact several times). Same
    parameters, defaults, default factories (called per instance) and dict order; frozen as
    before (only __init__ writes; tests/test_scoring_inputs_init.py compares both)."""
    params: list[str] = []
    entries: list[str] = []
    namespace: dict[str, Any] = {"_FACTORY": _FACTORY}
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: __post_init__ not written for")
    for f in dataclasses.fields(cls):
        if not f.init or f.kw_only or not f.name.isidentifier() or f.name.startswith("_"):
            raise TypeError(f"{cls.__name__}.{f.name}: not written for")
        value = f.name
        if f.default_factory is not dataclasses.MISSING:
            namespace[f"_factory_{f.name}"] = f.default_factory
            params.append(f"{f.name}=_FACTORY")
            value = f"_factory_{f.name}() if {f.name} is _FACTORY else {f.name}"
        elif f.default is not dataclasses.MISSING:
            namespace[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
        else:
            params.append(f.name)
        entries.append(f"{f.name!r}: {value}")
    source = (
        f"def __init__(self, {', '.join(params)}):\n"
        f"    self.__dict__.update({{{', '.join(entries)}}})\n"
    )
    exec(source, namespace)  # built from the field names above only
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    DATACLASS_INITS[cls] = cls.__init__  # type: ignore[misc]
    cls.__init__ = init  # type: ignore[misc]
    return cls


@_dict_init
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


@_dict_init
@dataclass(frozen=True)
class ImagingEvent:
    """An abdominal CT/MRI done or ordered: what surveillance already has on record."""

    when: date
    state: ImagingState
    source: str
    modality: str = "CT/MRI"


@_dict_init
@dataclass(frozen=True)
class Resection:
    performed: date | None
    source: str
    description: str = ""


@_dict_init
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
