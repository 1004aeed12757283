"""Abdominal CT/MRI already ordered or done (clinical.md §4, §5: alerts only when none is in the
surveillance window). Orders: ServiceRequest active/draft/on-hold → ORDERED, completed → DONE.
Done: ImagingStudy available, DiagnosticReport final/amended/corrected/appended, Procedure
completed. Revoked, cancelled, entered-in-error and undated records are ignored.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fhir_mappers.codes import DICOM_MODALITY, IMAGING_MODALITY
from fhir_mappers.concepts import Concept, concept, items
from fhir_mappers.index import Entry, RecordIndex
from fhir_mappers.text_patterns import word_start
from fhir_mappers.timing import first_span
from scoring.inputs import ImagingEvent, ImagingState

_ABDOMEN = r"abdom|\babd\b|liver|hepat|pancrea"
# word_start(x) is "\b" + x, written so that `re` can search the pattern fast (text_patterns)
_CT = word_start(r"ct\b") + "|computed tomograph|" + word_start("cat scan")
_MRI = word_start(r"mri?\b") + "|magnetic resonance|" + word_start(r"mr[ia]?\b")
# SSTR/FDG PET is not surveillance imaging (clinical.md §4), even as PET/CT of the abdomen
_NOT_SURVEILLANCE = (
    word_start(r"pet\b")
    + "|dotatate|dotatoc|"
    + word_start(r"fdg\b")
    + "|octreoscan|scintigra|angiogra|"
    + word_start(r"cta\b")
)
# literal text every match of each pattern above holds: a name without one is not searched
# (each pattern is asked of every imaging-typed record, pathology reports and resections too)
_ABDOMEN_STEMS = ("abd", "liver", "hepat", "pancrea")
_CT_STEMS = ("ct", "computed tomograph", "cat scan")
_MRI_STEMS = ("mr", "magnetic resonance")
_NOT_SURVEILLANCE_STEMS = (
    "pet",
    "dotatate",
    "dotatoc",
    "fdg",
    "octreoscan",
    "scintigra",
    "angiogra",
    "cta",
)
_STATES: dict[str, dict[str, ImagingState]] = {
    "ServiceRequest": {
        "active": ImagingState.ORDERED,
        "draft": ImagingState.ORDERED,
        "on-hold": ImagingState.ORDERED,
        "completed": ImagingState.DONE,
    },
    "ImagingStudy": {"available": ImagingState.DONE},
    "DiagnosticReport": {
        s: ImagingState.DONE for s in ("final", "amended", "corrected", "appended")
    },
    "Procedure": {"completed": ImagingState.DONE},
}


def imaging_events(index: RecordIndex, warnings: list[str]) -> tuple[ImagingEvent, ...]:
    events: list[ImagingEvent] = []
    for entry in index.of_type(*_STATES):
        modality = _modality(_described(entry))
        if modality is None:
            continue
        state = _STATES[entry.rtype].get(str(entry.raw.get("status")))
        if state is None:
            warnings.append(
                f"{entry.ref}: abdominal {modality} with status "
                f"'{entry.raw.get('status')}' not counted"
            )
            continue
        when = _when(index.model(entry), entry.rtype)
        if when is None:
            warnings.append(f"{entry.ref}: abdominal {modality} without a date; not counted")
            continue
        events.append(ImagingEvent(when, state, entry.ref, modality))
    return tuple(sorted(events, key=lambda e: (e.when, e.source)))


def _described(entry: Entry) -> Concept:
    raw = entry.raw
    if entry.rtype != "ImagingStudy":
        return concept(raw.get("code"))
    found = concept(raw.get("procedureCode")) | concept(raw.get("modality"))
    found = found | Concept(text=str(raw.get("description") or "").lower())
    for series in items(raw, "series"):
        if isinstance(series, dict):
            found = found | concept(series.get("modality")) | concept(series.get("bodySite"))
            found = found | Concept(text=str(series.get("description") or "").lower())
    return found


def _modality(described: Concept) -> str | None:
    coded = described.first_in(IMAGING_MODALITY)
    if coded is not None:
        return str(coded)
    if not described.says_stemmed(_ABDOMEN, _ABDOMEN_STEMS) or described.says_stemmed(
        _NOT_SURVEILLANCE, _NOT_SURVEILLANCE_STEMS
    ):
        return None
    dicom = described.first_in(DICOM_MODALITY)
    if dicom is not None:
        return str(dicom)
    is_ct = described.says_stemmed(_CT, _CT_STEMS)
    is_mri = described.says_stemmed(_MRI, _MRI_STEMS)
    if is_ct != is_mri:
        return "CT" if is_ct else "MRI"
    return "CT/MRI" if is_ct else None


def _when(model: Any, rtype: str) -> date | None:
    if rtype == "ServiceRequest":
        timing = model.occurrenceTiming
        events = (timing.event or []) if timing else []
        found = first_span(
            model.occurrenceDateTime, model.occurrencePeriod, *events, model.authoredOn
        )
    elif rtype == "ImagingStudy":
        found = first_span(model.started)
    elif rtype == "DiagnosticReport":
        found = first_span(model.effectiveDateTime, model.effectivePeriod, model.issued)
    else:
        found = first_span(model.performedDateTime, model.performedPeriod)
    return found.first if found else None
