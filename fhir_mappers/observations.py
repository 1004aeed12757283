"""Pathology inputs from Observations: size, grade, Ki-67, mitoses, LVI, nodes, pN, perineural
invasion (clinical.md §3 table). Selection between several values is `selection.select`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, NamedTuple

from fhir_mappers import coded_values, codes, values
from fhir_mappers.carriers import Carriers, carrying
from fhir_mappers.concepts import Concept, concept
from fhir_mappers.index import Entry, RecordIndex
from fhir_mappers.provenance import ResectionEvidence
from fhir_mappers.quoting import quoted
from fhir_mappers.selection import NO_FACT, Candidate, higher, lower, select, true_wins
from fhir_mappers.timing import Span, first_span
from scoring.inputs import Fact

FINAL = ("final", "amended", "corrected")


def is_final(entry: Entry, label: str, warnings: list[str]) -> bool:
    """Only final, amended or corrected Observations are read (clinical.md §3); a preliminary,
    cancelled or entered-in-error one is named in the warnings."""
    status = entry.raw.get("status")
    if status in FINAL:
        return True
    warnings.append(f"{entry.ref}: {label} with status '{quoted(str(status), 40)}' not used")
    return False


@dataclass(frozen=True)
class PathologyInput:
    name: str
    label: str
    codes: frozenset[tuple[str, str]]  # the input's own codes (a site may add to them, §6c)
    text: str  # used only when the Observation carries none of the known codes
    # literal text every match of `text` holds: a name holding none is not searched (most
    # unknown codes are site-local codes of other tests; tests/test_mappers_stems_cover_patterns)
    stems: tuple[str, ...]
    # (holder, code concept, whether the code is one of `codes`) -> value, problem or note
    parse: Callable[[Any, Concept, bool], values.Parsed]
    worse: Callable[[Any, Any], Any]
    also: frozenset[tuple[str, str]] = frozenset()  # codes that may carry it too (node ratios)


def _nodes(part: int, name: str) -> Callable[[Any, Concept, bool], values.Parsed]:
    """Nodes positive (part 0) or examined (1): a "0/14" ratio on either node code, or the
    counts of a pN category ("pN0 (0/14)"), give both; a plain count only on the input's own
    code."""

    def parse(holder: Any, code: Concept, own: bool) -> values.Parsed:
        value, note = values.node_ratio(holder, code.text, part)
        if value is not None or note is not None or not own:
            return value, note
        return values.count(holder, code.text, name)

    return parse


def _n_category(holder: Any, code: Concept, own: bool) -> values.Parsed:
    """pN from a pathological N category; a clinical or unqualified N category (Synthea's
    21906-3, cN, "N category") counts only when node-positive: a clinical N0 does not show
    that a pathologist found the nodes free, so it stays unknown."""
    value, note = coded_values.tnm(holder, "n")
    if value is None or code.has_any(codes.PN_CATEGORY) or _says_pathological(holder, code):
        return value, note
    if value:
        return True, "clinical (not pathological) N category, node-positive"
    return None, "clinical N0 does not establish pN0 (nodes not examined by pathology)"


# The question names the pathological category ("pN Category", CAP eCC question 763178 in
# HL7/cancer-reporting input/fsh/instances/observation-ptnm-classification-pN-Category.fsh), or
# the answer carries the "p" prefix ("pN0: No regional lymph node metastasis identified").
_PN_QUESTION_TEXT = (
    r"\bpn (?:category|stage)|\bpathologic(?:al)? n\b|regional lymph nodes\.pathology"
)
_PN_ANSWER_TEXT = r"(?<![a-z])y?r?pn[0-3x](?![0-9])"


def _says_pathological(holder: Any, code: Concept) -> bool:
    return code.says(_PN_QUESTION_TEXT) or coded_values.value_concept(holder).says(_PN_ANSWER_TEXT)


_INVASION_TEXT = (
    r"lympho-?vascular|angiolymphatic|\blvi\b|vascular invasion|small vessel invasion"
    r"|lymphatic vessel and/or small blood vessel"
)
# lymphatic or venous invasion alone is one half of LVI (UICC L / V): read as that category,
# so "lymphatic invasion: absent" does not say "no vascular invasion" (issue 9, L0 needs V0)
_LYMPHATIC_TEXT = r"\blymphatic (?:\(small vessel\) |small vessel )?invasion|\blymphgef(?:ä|ae)ß"
_VENOUS_TEXT = r"\bvenous (?:\(large vessel\) |large vessel )?invasion|\bveneninvasion"

PATHOLOGY_INPUTS: tuple[PathologyInput, ...] = (
    PathologyInput(
        "ki67_percent",
        "Ki-67 index",
        codes.KI67,
        r"ki[- ]?67|mib[- ]?1",
        ("67", "mib"),
        lambda h, c, own: values.percent(h, c.text),
        higher,
    ),
    PathologyInput(
        "mitoses_per_2mm2",
        "mitotic count",
        frozenset(),
        r"mitos|mitotic",
        ("mito",),
        lambda h, c, own: values.mitoses(h, c.text),
        higher,
    ),
    PathologyInput(
        "perineural_invasion",
        "perineural invasion",
        codes.PERINEURAL_INVASION,
        r"perineural",
        ("perineural",),
        lambda h, c, own: coded_values.uicc_category(h, codes.UICC_PERINEURAL, "Pn"),
        true_wins,
    ),
    PathologyInput(
        "lymphovascular_invasion",
        "lymphovascular invasion",
        codes.LYMPHOVASCULAR_INVASION,
        _INVASION_TEXT,
        ("vascular", "lymphatic", "lvi", "vessel"),
        lambda h, c, own: coded_values.presence(h),
        true_wins,
    ),
    # UICC L and V categories: combined into lymphovascular invasion by `_uicc_lvi`
    PathologyInput(
        "lymphatic_invasion_uicc",
        "lymphatic invasion (UICC L)",
        codes.LYMPHATIC_INVASION,
        _LYMPHATIC_TEXT,
        ("lymphatic", "lymphgef"),
        lambda h, c, own: coded_values.uicc_category(h, codes.UICC_LYMPHATIC, "L"),
        true_wins,
    ),
    PathologyInput(
        "venous_invasion_uicc",
        "venous invasion (UICC V)",
        codes.VENOUS_INVASION,
        _VENOUS_TEXT,
        ("venous", "veneninvasion"),
        lambda h, c, own: coded_values.uicc_category(h, codes.UICC_VENOUS, "V"),
        true_wins,
    ),
    PathologyInput(
        "nodes_positive",
        "positive regional nodes",
        codes.NODES_POSITIVE,
        r"nodes? (?:positive|involved)|positive (?:lymph )?nodes|nodes? with (?:tumou?r|metasta)"
        r"|nodes? involved by tumou?r|nodes? containing metasta"
        r"|befallene (?:regionäre )?lymphknoten",
        ("node", "lymphknoten"),
        _nodes(0, "nodes_positive"),
        higher,
        also=codes.NODES_EXAMINED | codes.PN_CATEGORY,
    ),
    # fewer nodes examined is the conservative reading (pN0 is less certain)
    PathologyInput(
        "nodes_examined",
        "regional nodes examined",
        codes.NODES_EXAMINED,
        r"nodes? (?:examined|retrieved)|untersuchte (?:regionäre )?lymphknoten",
        ("node", "lymphknoten"),
        _nodes(1, "nodes_examined"),
        lower,
        also=codes.NODES_POSITIVE | codes.PN_CATEGORY,
    ),
    PathologyInput(
        "pn_positive",
        "pN category",
        codes.PN_CATEGORY,
        r"\bpn (?:category|stage)|regional lymph nodes\.pathology",
        ("pn ", "node"),
        _n_category,
        true_wins,
        also=codes.CLINICAL_N_CATEGORY,
    ),
    PathologyInput(
        "grade_reported",
        "histologic grade",
        codes.HISTOLOGIC_GRADE,
        r"histologic(?:al)? grade|tumou?r grade|who grade|\bgrading\b",
        ("grad",),
        lambda h, c, own: coded_values.grade(h),
        higher,
    ),
    PathologyInput(
        "tumor_size_cm",
        "tumour size",
        codes.TUMOR_SIZE | codes.TUMOR_SIZE_PANEL,
        r"tumou?r size|size of (?:the )?tumou?r|(?:greatest|maximum|largest) dimension"
        r"|tumorgr(?:ö|oe)(?:ß|ss)e|gr(?:ö|oe)(?:ß|ss)te ausdehnung",
        ("size", "dimension", "tumorgr", "ausdehnung"),
        lambda h, c, own: values.size_cm(h, c.text),
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


class _Table(NamedTuple):
    inputs: tuple[PathologyInput, ...]
    carriers: Carriers
    # code -> what an Observation with only that coding carries in its value, in table order
    # (`carrying` of one coding): most Observations have one coding
    one_coding: dict[tuple[str, str], tuple[tuple[PathologyInput, None], ...]]
    fact_names: tuple[str, ...]  # the inputs `pathology_facts` gives, in table order
    by_name: dict[str, PathologyInput]


@lru_cache(maxsize=32)
def _prepared(extra_codes: frozenset[tuple[str, frozenset[tuple[str, str]]]]) -> _Table:
    """The input table of a site's codes and its lookups: built once per site configuration."""
    inputs = with_site_codes(dict(extra_codes))
    carriers = Carriers.of(inputs, codes.NOT_KI67, codes.TUMOR_SIZE_PANEL)
    one_coding = {
        key: tuple((inputs[n], None) for n in carrying((key,), carriers.by_value))
        for key in carriers.by_value
    }
    names = tuple(i.name for i in inputs if i.name not in _UICC_HALVES)
    return _Table(inputs, carriers, one_coding, names, {i.name: i for i in inputs})


def pathology_facts(
    index: RecordIndex,
    evidence: ResectionEvidence,
    warnings: list[str],
    extra_codes: ExtraCodes | None = None,
) -> dict[str, Fact[Any]]:
    table = _prepared(frozenset(extra_codes.items()) if extra_codes else frozenset())
    # input name -> its candidates, for the inputs some Observation gives a value (most of
    # the ~11 get none in a record: no empty list is made for them)
    found: dict[str, list[Candidate[Any]]] = {}
    for entry in index.of_type("Observation"):
        carried = _carried_inputs(entry, table)
        if carried:
            _read_entry(index, evidence, entry, carried, found, warnings)
    lymphatic = found.pop("lymphatic_invasion_uicc", [])
    venous = found.pop("venous_invasion_uicc", [])
    if lymphatic or venous:  # `_uicc_lvi` of two empty lists is empty, without a warning
        lvi = found.get("lymphovascular_invasion", []) + _uicc_lvi(lymphatic, venous, warnings)
        if lvi:
            found["lymphovascular_invasion"] = lvi
    # in the table's order; most inputs have no candidate and keep the unknown Fact
    facts = dict.fromkeys(table.fact_names, NO_FACT)
    for name, candidates in found.items():
        item = table.by_name[name]
        facts[name] = select(candidates, item.worse, item.label)
    return facts


_UICC_HALVES = ("lymphatic_invasion_uicc", "venous_invasion_uicc")  # read into LVI


def _uicc_lvi(
    lymphatic: list[Candidate[bool]], venous: list[Candidate[bool]], warnings: list[str]
) -> list[Candidate[bool]]:
    """Lymphovascular invasion from UICC L and V categories (MII): present when any L1, V1 or
    V2 is on record; absent only when both L0 and V0 are (L0 alone says nothing of veins)."""
    present = [c for c in lymphatic + venous if c.value]
    if present:
        return present
    if lymphatic and venous:
        return [
            c._replace(also=tuple(v.source for v in venous), note=_join(c.note, "L0 and V0"))
            for c in lymphatic
        ]
    for side, missing in ((lymphatic, "V"), (venous, "L")):
        for c in side:
            warnings.append(
                f"{c.source}: lymphovascular invasion unknown: UICC {missing} category not on "
                f"record (absent needs both L0 and V0)"
            )
    return []


def _join(*notes: str | None) -> str | None:
    return "; ".join(n for n in notes if n) or None


def _carried_inputs(entry: Entry, table: _Table) -> list[tuple[PathologyInput, int | None]]:
    """Which inputs this Observation carries: (input, component index or None for the value)."""
    inputs, carriers = table.inputs, table.carriers
    code = entry.code
    out: list[tuple[PathologyInput, int | None]]
    codings = code.codings
    if len(codings) == 1:  # the usual code: `has_any` of one coding, without the two calls
        key = codings[0]
        if key in codes.NOT_KI67:
            return []
        out = [] if key in codes.TUMOR_SIZE_PANEL else list(table.one_coding.get(key, ()))
    elif code.has_any(codes.NOT_KI67):
        return []
    elif code.has_any(codes.TUMOR_SIZE_PANEL):
        out = []
    else:
        out = [(inputs[n], None) for n in carrying(codings, carriers.by_value)]
    components = entry.raw.get("component")
    if components and isinstance(components, list):  # `items`, without a call for the many
        for i, component in enumerate(components):  # Observations that have none
            component_code = concept(component.get("code") if isinstance(component, dict) else None)
            out += [(inputs[n], i) for n in carrying(component_code.codings, carriers.by_component)]
    if not out and not code.has_any(carriers.known):
        for item in inputs:
            if item.text and code.says_stemmed(item.text, item.stems):
                out.append((item, None))
                break
    return out


def _read_entry(
    index: RecordIndex,
    evidence: ResectionEvidence,
    entry: Entry,
    carried: list[tuple[PathologyInput, int | None]],
    found: dict[str, list[Candidate[Any]]],
    warnings: list[str],
) -> None:
    """Each input `entry` carries (`_carried_inputs`), read in turn as `_read` reads one; what
    depends only on the Observation (its code, status, model, time, resection evidence) is
    looked at once for all of them, at the point the first input that needs it would."""
    raw = entry.raw
    code = entry.code
    final = raw.get("status") in FINAL
    model: Any = None
    when: Any = _UNSET  # Span | None once read
    from_resection = False
    for item, component in carried:
        code_concept = code
        if component is not None:
            code_concept = code | concept(raw["component"][component].get("code"))
        # read as the input's own code, unless only an `also` code carries it (a node ratio)
        # (without `also` codes, as most inputs, it is always the input's own)
        own = (
            not item.also or code_concept.has_any(item.codes) or not code_concept.has_any(item.also)
        )
        if not final:
            if own:  # the warning is the own input's (one per Observation, not one per reader)
                is_final(entry, item.label, warnings)
            continue
        if model is None:
            model = index.model(entry)
        holder = model if component is None else model.component[component]
        value, note = item.parse(holder, code_concept, own)
        if value is None:
            if note is not None:
                warnings.append(f"{entry.ref}: {item.label} unknown: {note}")
            continue
        if when is _UNSET:
            when = observation_time(model)
            from_resection = evidence.observation(entry)
        candidate = Candidate(value, entry.ref, from_resection, when, note)
        listed = found.get(item.name)
        if listed is None:
            found[item.name] = [candidate]
        else:
            listed.append(candidate)


_UNSET = object()


def observation_time(model: Any) -> Span | None:
    return first_span(
        model.effectiveDateTime, model.effectivePeriod, model.effectiveInstant, model.issued
    )
