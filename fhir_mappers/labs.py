"""Pre-operative chromogranin A above its reference range (clinical.md §4: then suggest CgA in
surveillance). Elevated: interpretation H/HH/HU, or value > referenceRange.high in the same unit.
Any elevated pre-operative value makes it True (the highest pre-treatment value is the one
registries record); only values that could be judged count for False.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from fhir_mappers.codes import CHROMOGRANIN_A, INTERPRETATION_HIGH, INTERPRETATION_NOT_HIGH
from fhir_mappers.concepts import concept
from fhir_mappers.index import RecordIndex
from fhir_mappers.observations import is_final, observation_time
from fhir_mappers.selection import NO_FACT
from scoring.inputs import Fact


def preop_chromogranin_elevated(
    index: RecordIndex, surgery: date | None, warnings: list[str]
) -> Fact[bool]:
    high: list[str] = []
    normal: list[str] = []
    if CHROMOGRANIN_A.isdisjoint(index.codings_of("Observation")):
        return NO_FACT  # no chromogranin A Observation (most records): no scan
    for entry in index.of_type("Observation"):
        if not entry.code.has_any(CHROMOGRANIN_A):
            continue
        if not is_final(entry, "chromogranin A", warnings):
            continue
        model = index.model(entry)
        when = observation_time(model)
        if surgery is None or when is None:
            warnings.append(f"{entry.ref}: chromogranin A not datable against the resection")
            continue
        if not when.on_or_before(surgery):
            continue
        verdict = _elevated(model, entry.raw)
        if verdict is None:
            warnings.append(f"{entry.ref}: chromogranin A without interpretation or upper limit")
        else:
            (high if verdict else normal).append(entry.ref)
    if high:
        return Fact(True, tuple(high))
    return Fact(False, tuple(normal)) if normal else NO_FACT


def _elevated(model: Any, raw: dict[str, Any]) -> bool | None:
    interpretation = concept(raw.get("interpretation"))
    if interpretation.has_any(INTERPRETATION_HIGH):
        return True
    q = model.valueQuantity
    for rng in model.referenceRange or []:
        limit = rng.high
        if q is None or q.value is None or limit is None or limit.value is None:
            continue
        unit, limit_unit = (q.code or q.unit), (limit.code or limit.unit)
        if unit and limit_unit and unit != limit_unit:
            continue
        return Decimal(q.value) > Decimal(limit.value)
    if interpretation.has_any(INTERPRETATION_NOT_HIGH):
        return False
    return None
