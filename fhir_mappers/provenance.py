"""Is a pathology Observation from the resection specimen? (clinical.md §3: prefer it.)

An Observation counts as from the resection specimen when any of these holds:
- Observation.specimen points to a Specimen whose type, collection method or body site text says
  resection / excision / "-ectomy" (e.g. "Pancreas, distal pancreatectomy specimen");
- Observation.partOf points to the resection Procedure;
- a DiagnosticReport that lists it in `result` (or contains it) has such a Specimen, or its code /
  conclusion text names a resection;
- it is a `hasMember` of an Observation (a panel, a CAP checklist section, an mCODE tumour
  morphology report) that counts as from the resection specimen, at any depth.
"""

from __future__ import annotations

from fhir_mappers.clinical_codes import SPECIMEN_RESECTION_TEXT
from fhir_mappers.concepts import Concept, concept, field, items, text_of
from fhir_mappers.index import Entry, RecordIndex
from fhir_mappers.resection_codes import SPECIMEN_RESECTION_STEMS


class ResectionEvidence:
    def __init__(self, index: RecordIndex, resection_refs: frozenset[str]) -> None:
        self._index = index
        self._resections = resection_refs
        self._specimen_cache: dict[str, bool] = {}
        self._observations: dict[str, bool] = {}
        self._from_reports: set[str] = set()
        self._reports: set[str] = set()
        for report in index.of_type("DiagnosticReport"):
            if self._report_is_resection(report):
                self._reports.add(report.ref)
                for result in items(report.raw, "result"):
                    target = index.resolve(field(result, "reference"), report)
                    if target is not None:
                        self._from_reports.add(target.ref)
                self._from_reports.update(e.ref for e in report.contained.values())
        self._panels: dict[str, list[Entry]] = {}  # member ref -> Observations listing it
        for panel in index.of_type("Observation"):
            if not panel.raw.get("hasMember"):
                continue  # most have none: `items` would give no member
            for member in items(panel.raw, "hasMember"):
                target = index.resolve(field(member, "reference"), panel)
                if target is not None:
                    self._panels.setdefault(target.ref, []).append(panel)

    def is_resection_report(self, entry: Entry) -> bool:
        return entry.ref in self._reports

    def observation(self, entry: Entry) -> bool:
        # asked once per input an Observation carries and again for spread events: the answer
        # depends only on the record (a repeated resolve would only repeat its warnings)
        found = self._observations.get(entry.ref)
        if found is None:
            found = self._observations[entry.ref] = self._observation(entry, frozenset())
        return found

    def _observation(self, entry: Entry, _seen: frozenset[str]) -> bool:
        # asked of every pathology Observation: the elements it lacks (most have no panel,
        # partOf or specimen) cost a lookup each, not a call
        if entry.ref in self._from_reports:
            return True
        panels = self._panels.get(entry.ref)
        if panels:
            seen = _seen | {entry.ref}
            for panel in panels:
                # hasMember cycles are invalid but possible
                if panel.ref not in seen and self._observation(panel, seen):
                    return True
        raw = entry.raw
        if raw.get("partOf"):
            for part in items(raw, "partOf"):
                target = self._index.resolve(field(part, "reference"), entry)
                if target is not None and target.ref in self._resections:
                    return True
        if raw.get("specimen") is None:
            return False  # `_specimens` gives none
        return any(self._specimen(s, entry) for s in self._specimens(entry))

    def specimen_of(self, entry: Entry) -> Entry | None:
        """The first resection Specimen of a report, if any (for its collection date)."""
        for ref in self._specimens(entry):
            target = self._index.resolve(ref, entry)
            if target is not None and self._specimen(ref, entry):
                return target
        return None

    def _specimens(self, entry: Entry) -> list[object]:
        raw = entry.raw.get("specimen")
        listed = raw if isinstance(raw, list) else [raw]
        return [field(s, "reference") for s in listed if isinstance(s, dict)]

    def _specimen(self, reference: object, context: Entry) -> bool:
        target = self._index.resolve(reference, context)
        if target is None or target.rtype != "Specimen":
            return False
        if target.ref not in self._specimen_cache:
            self._index.model(target)
            raw = target.raw
            described = (
                concept(raw.get("type"))
                | concept(field(raw, "collection", "method"))
                | concept(field(raw, "collection", "bodySite"))
            )
            notes = " ".join(text_of(field(n, "text")) for n in items(raw, "note"))
            self._specimen_cache[target.ref] = _says_resection(described) or bool(
                notes and _says_resection(concept({"text": notes}))
            )
        return self._specimen_cache[target.ref]

    def _report_is_resection(self, report: Entry) -> bool:
        raw = report.raw
        if raw.get("status") not in ("final", "amended", "corrected", "appended"):
            return False
        described = concept(raw.get("code")) | concept({"text": text_of(raw.get("conclusion"))})
        if _says_resection(described) or any(
            self._specimen(s, report) for s in self._specimens(report)
        ):
            self._index.model(report)
            return True
        return False


def _says_resection(described: Concept) -> bool:
    return described.says_stemmed(SPECIMEN_RESECTION_TEXT, SPECIMEN_RESECTION_STEMS)
