"""Pathology inputs from Observations: size, grade, Ki-67, mitoses, LVI, nodes, pN, perineural
invasion (clinical.md §3 table). Selection between several values is `selection.select`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from fhir_mappers import codes, values
from fhir_mappers.concepts import Concept, concept, items
from fhir_mappers.index import Entry, RecordIndex
from fhir_mappers.provenance import ResectionEvidence
from fhir_mappers.selection import Candidate, higher, lower, select, true_wins
from fhir_mappers.timing import Span, first_span
from scoring.inputs import Fact

FINAL = ("final", "amended", "corrected")


def is_final(entry: Entry, label: str, warnings: list[str]) -> bool:
    """Only final, amended or corrected Observations are read (clinical.md §3); a preliminary,
    cancelled or entered-in-error one is named in the warnings."""
    status = entry.raw.get("status")
    if status in FINAL:
        return True
    warnings.append(f"{entry.ref}: {label} with status '{status}' not used")
    return False


@dataclass(frozen=True)
class PathologyInput:
    name: str
    label: str
    codes: frozenset[tuple[str, str]]
    text: str  # used only when the Observation carries none of the known codes
    parse: Callable[[Any, Concept], values.Parsed]
    worse: Callable[[Any, Any], Any]


PATHOLOGY_INPUTS: tuple[PathologyInput, ...] = (
    PathologyInput(
        "ki67_percent",
        "Ki-67 index",
        codes.KI67,
        r"ki[- ]?67|mib[- ]?1",
        lambda h, c: values.percent(h),
        higher,
    ),
    PathologyInput(
        "mitoses_per_2mm2",
        "mitotic count",
        frozenset(),
        r"mitos|mitotic",
        lambda h, c: values.mitoses(h, c.text),
        higher,
    ),
    PathologyInput(
        "perineural_invasion",
        "perineural invasion",
        codes.PERINEURAL_INVASION,
        r"perineural",
        lambda h, c: values.presence(h),
        true_wins,
    ),
    PathologyInput(
        "lymphovascular_invasion",
        "lymphovascular invasion",
        codes.LYMPHOVASCULAR_INVASION,
        r"lympho-?vascular|angiolymphatic|\blvi\b|vascular invasion|lymphatic invasion",
        lambda h, c: values.presence(h),
        true_wins,
    ),
    PathologyInput(
        "nodes_positive",
        "positive regional nodes",
        codes.NODES_POSITIVE,
        r"nodes? (positive|involved)|positive (lymph )?nodes",
        lambda h, c: values.count(h),
        higher,
    ),
    # fewer nodes examined is the conservative reading (pN0 is less certain)
    PathologyInput(
        "nodes_examined",
        "regional nodes examined",
        codes.NODES_EXAMINED,
        r"nodes? (examined|retrieved)",
        lambda h, c: values.count(h),
        lower,
    ),
    PathologyInput(
        "pn_positive",
        "pN category",
        codes.PN_CATEGORY,
        r"\bpn (category|stage)|regional lymph nodes\.pathology",
        lambda h, c: values.tnm(h, "n"),
        true_wins,
    ),
    PathologyInput(
        "grade_reported",
        "histologic grade",
        codes.HISTOLOGIC_GRADE,
        r"histologic(al)? grade|tumou?r grade|who grade",
        lambda h, c: values.grade(h),
        higher,
    ),
    PathologyInput(
        "tumor_size_cm",
        "tumour size",
        codes.TUMOR_SIZE | codes.TUMOR_SIZE_PANEL,
        r"tumou?r size|(greatest|maximum|largest) dimension",
        lambda h, c: values.size_cm(h),
        higher,
    ),
)
ExtraCodes = Mapping[str, frozenset[tuple[str, str]]]


def with_site_codes(extra_codes: ExtraCodes | None) -> tuple[PathologyInput, ...]:
    """The input table with a site's local codes added (clinical.md §6c)."""
    if not extra_codes:
        return PATHOLOGY_INPUTS
    return tuple(
        replace(i, codes=i.codes | extra_codes.get(i.name, frozenset())) for i in PATHOLOGY_INPUTS
    )


def pathology_facts(
    index: RecordIndex,
    evidence: ResectionEvidence,
    warnings: list[str],
    extra_codes: ExtraCodes | None = None,
) -> dict[str, Fact[Any]]:
    inputs = with_site_codes(extra_codes)
    known = frozenset().union(*(i.codes for i in inputs)) | codes.NOT_KI67
    found: dict[str, list[Candidate[Any]]] = {i.name: [] for i in inputs}
    for entry in index.of_type("Observation"):
        for item, holder_path in _carried_inputs(entry, inputs, known):
            candidate = _read(index, evidence, entry, item, holder_path, warnings)
            if candidate is not None:
                found[item.name].append(candidate)
    return {i.name: select(found[i.name], i.worse, i.label) for i in inputs}


def _carried_inputs(
    entry: Entry, inputs: tuple[PathologyInput, ...], known: frozenset[tuple[str, str]]
) -> list[tuple[PathologyInput, int | None]]:
    """Which inputs this Observation carries: (input, component index or None for the value)."""
    code = concept(entry.raw.get("code"))
    out: list[tuple[PathologyInput, int | None]] = []
    if code.has_any(codes.NOT_KI67):
        return out
    for item in inputs:
        if item.codes and code.has_any(item.codes) and not code.has_any(codes.TUMOR_SIZE_PANEL):
            out.append((item, None))
    for i, component in enumerate(items(entry.raw, "component")):
        component_code = concept(component.get("code") if isinstance(component, dict) else None)
        for item in inputs:
            if item.codes and component_code.has_any(item.codes - codes.TUMOR_SIZE_PANEL):
                out.append((item, i))
    if not out and not code.has_any(known):
        for item in inputs:
            if code.says(item.text):
                out.append((item, None))
                break
    return out


def _read(
    index: RecordIndex,
    evidence: ResectionEvidence,
    entry: Entry,
    item: PathologyInput,
    component: int | None,
    warnings: list[str],
) -> Candidate[Any] | None:
    if not is_final(entry, item.label, warnings):
        return None
    model = index.model(entry)
    holder = model if component is None else model.component[component]
    code_concept = concept(entry.raw.get("code"))
    if component is not None:
        code_concept = code_concept | concept(entry.raw["component"][component].get("code"))
    value, note = item.parse(holder, code_concept)
    if value is None:
        warnings.append(f"{entry.ref}: {item.label} unknown: {note}")
        return None
    when = observation_time(model)
    return Candidate(value, entry.ref, evidence.observation(entry), when, note)


def observation_time(model: Any) -> Span | None:
    return first_span(
        model.effectiveDateTime, model.effectivePeriod, model.effectiveInstant, model.issued
    )
