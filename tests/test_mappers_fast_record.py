"""The third round's mapper shortcuts give what the paths they replace give, over the test data
records (every bundle of tests/data, the demo patients, generated patients) and variants of them
(each Observation status, a site's local codes)."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest

from bench.cohort import generate_cohort
from cds_service.sandbox.patients import demo_patients
from fhir_mappers import observations, procedures
from fhir_mappers.concepts import MAX_CONCEPT_TEXT, Concept, concept, one_record
from fhir_mappers.index import Entry, RecordIndex, RecordNeedsValidation
from fhir_mappers.observation_codes import clinically_relevant
from fhir_mappers.observations import FINAL, PathologyInput, is_final, observation_time
from fhir_mappers.payload import resources_from_payload
from fhir_mappers.provenance import ResectionEvidence
from fhir_mappers.selection import Candidate

DATA = Path(__file__).resolve().parent / "data"
LOCAL = "https://hospital.example.org/codes"
SITE = {"ki67_percent": frozenset({(LOCAL, "K")}), "tumor_size_cm": frozenset({(LOCAL, "S")})}


def _records() -> list[tuple[str, list[Any]]]:
    bundles = [(p.name, json.loads(p.read_text())) for p in sorted(DATA.rglob("*.bundle.json"))]
    bundles += [(f"demo {p.bundle.get('id')}", p.bundle) for p in demo_patients()]
    bundles += [(f"cohort {n}", b) for n, b in enumerate(generate_cohort(24))]
    out = []
    for name, bundle in bundles:
        resources = list(resources_from_payload(bundle))
        out.append((name, resources))
        for status in ("preliminary", "entered-in-error", "amended", None):
            changed = copy.deepcopy(resources)
            for r in changed:
                if isinstance(r, dict) and r.get("resourceType") == "Observation":
                    r["status"] = status
            out.append((f"{name} status {status}", changed))
        local = copy.deepcopy(resources)
        for n, r in enumerate(local):
            if isinstance(r, dict) and isinstance(r.get("code"), dict):
                r["code"].setdefault("coding", []).append({"system": LOCAL, "code": "KS"[n % 2]})
        out.append((f"{name} local codes", local))
    return out


RECORDS = _records()


def _reference_read(
    index: RecordIndex,
    evidence: ResectionEvidence,
    entry: Entry,
    item: PathologyInput,
    component: int | None,
    warnings: list[str],
) -> Candidate[Any] | None:
    """One input of one Observation, as `observations._read` read it before `_read_entry`."""
    code_concept = concept(entry.raw.get("code"))
    if component is not None:
        code_concept = code_concept | concept(entry.raw["component"][component].get("code"))
    own = code_concept.has_any(item.codes) or not code_concept.has_any(item.also)
    if entry.raw.get("status") not in FINAL and not own:
        return None
    if not is_final(entry, item.label, warnings):
        return None
    model = index.model(entry)
    holder = model if component is None else model.component[component]
    value, note = item.parse(holder, code_concept, own)
    if value is None:
        if note is not None:
            warnings.append(f"{entry.ref}: {item.label} unknown: {note}")
        return None
    when = observation_time(model)
    return Candidate(value, entry.ref, evidence.observation(entry), when, note)


def _pathology_reads(resources: list[Any], extra: Any, fast: bool) -> tuple[object, ...]:
    """Every Observation's candidates and warnings (or the exception) by one of the paths."""
    table = observations._prepared(frozenset(extra.items()) if extra else frozenset())
    inputs = table.inputs
    with one_record():
        index = RecordIndex(resources)
        index.validate_where(clinically_relevant)
        warnings: list[str] = []
        try:
            procs = procedures.resection_procedures(index, warnings)
            evidence = ResectionEvidence(index, frozenset(r.source for r in procs))
            found: dict[str, list[Candidate[Any]]] = {i.name: [] for i in inputs}
            for entry in index.of_type("Observation"):
                carried = observations._carried_inputs(entry, table)
                if fast:
                    if carried:
                        observations._read_entry(index, evidence, entry, carried, found, warnings)
                    continue
                for item, component in carried:
                    got = _reference_read(index, evidence, entry, item, component, warnings)
                    if got is not None:
                        found[item.name].append(got)
        except RecordNeedsValidation as exc:
            return ("needs validation", str(exc), warnings, index.warnings)
    return (found, warnings, index.warnings)


@pytest.mark.parametrize("extra", [None, SITE])
def test_read_entry_gives_what_one_read_per_input_gives(extra: Any) -> None:
    read = 0
    for name, resources in RECORDS:
        fast = _pathology_reads(resources, extra, fast=True)
        assert fast == _pathology_reads(resources, extra, fast=False), name
        read += sum(len(v) for v in fast[0].values()) if isinstance(fast[0], dict) else 0
    assert read > 100  # the records do give pathology values


def _reference_or(a: Concept, b: Concept) -> Concept:
    """`Concept.__or__` before its empty-side shortcut."""
    if not b.text or not a.text:
        return Concept(a.codings + b.codings, a.text or b.text)
    return Concept(a.codings + b.codings, f"{a.text} | {b.text}")


def test_concept_union_and_cap_as_before() -> None:
    rng = random.Random(5)
    keys = [("http://loinc.org", "1"), ("http://snomed.info/sct", "2"), ("s", "")]
    texts = ["", "a", "tumour size", "x" * MAX_CONCEPT_TEXT, "y" * (MAX_CONCEPT_TEXT + 7)]
    concepts = [Concept(), Concept(text="")] + [
        Concept(tuple(rng.sample(keys, rng.randint(0, 2))), rng.choice(texts)) for _ in range(60)
    ]
    for a in concepts:
        assert len(a.text) <= MAX_CONCEPT_TEXT
        for b in concepts:
            assert a | b == _reference_or(a, b)
    assert Concept(text="z" * (MAX_CONCEPT_TEXT + 1)).text == "z" * MAX_CONCEPT_TEXT
    with pytest.raises(AttributeError):
        Concept().text = "changed"  # type: ignore[misc]


def _index_view(resources: list[Any]) -> tuple[object, ...]:
    index = RecordIndex(resources)
    entries = [(e.ref, e.rtype, e.container.ref if e.container else None) for e in index._entries]
    return entries, list(index.warnings)


def test_known_type_names_index_as_when_first_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    from fhir_mappers import index as index_module

    names = ["Observation", "Condition", "Coding", "Element", "observation", "NotAType", ""]
    names += [" Observation", "Observation ", "Obser vation", "Observation\n", "x" * 90, "Ö"]
    patient = {"resourceType": "Patient", "id": "p"}
    resources = [patient] + [
        {"resourceType": n, "id": f"r{i}", "subject": {"reference": "Patient/p"}}
        for i, n in enumerate(names)
    ]
    resources.append(
        {"resourceType": "Specimen", "id": "s", "contained": [{"resourceType": n} for n in names]}
    )
    monkeypatch.setattr(index_module, "_KNOWN_TYPES", {})
    monkeypatch.setattr(index_module, "_MODEL_CLASSES", {})
    first = _index_view(resources)
    from fhir.resources.R4B import get_fhir_model_class

    assert set(index_module._MODEL_CLASSES) == set(index_module._KNOWN_TYPES)
    for name, model_class in index_module._MODEL_CLASSES.items():
        assert model_class is get_fhir_model_class(name)
    assert set(index_module._KNOWN_TYPES) == {
        "Observation",
        "Condition",
        "Coding",
        "Element",
        "Patient",
        "Specimen",
    }
    assert _index_view(resources) == first  # now from the table
    for _name, record in RECORDS:
        monkeypatch.setattr(index_module, "_KNOWN_TYPES", {})
        fresh = _index_view(record)
        assert _index_view(record) == fresh


def test_entry_code_is_the_concept_of_its_code() -> None:
    for _name, resources in RECORDS:
        for entry in RecordIndex(resources)._entries:
            assert entry.code == concept(entry.raw.get("code"))
            assert entry.code is entry.code


def _reference_is_referenced_by(identity: Any, reference: str) -> bool:
    """`PatientIdentity.is_referenced_by` before its exact-spelling shortcut."""
    if reference in identity.full_urls:
        return True
    if not identity.patient_id:
        return False
    ref = reference.split("/_history/")[0].rstrip("/")
    if ref == f"Patient/{identity.patient_id}":
        return True
    tail = f"/Patient/{identity.patient_id}"
    if "://" not in ref or not ref.endswith(tail):
        return False
    return not identity.bases or ref[: -len(tail)] in identity.bases


def test_patient_references_are_recognised_as_before() -> None:
    from fhir_mappers.ownership import PatientIdentity

    base = "https://fhir.example.org/r4"
    identities = [
        PatientIdentity.of(pid, url, fhir_base)
        for pid in ("p1", "", "a/b")
        for url in (None, "urn:uuid:1", f"{base}/Patient/p1")
        for fhir_base in (None, base, "https://other.example")
    ]
    references = ["Patient/p1", "Patient/p1/", "Patient/p1/_history/3", "Patient/p2", "urn:uuid:1"]
    references += [f"{base}/Patient/p1", f"{base}/Patient/p1/_history/1", "Patient/a/b", "", "/"]
    references += ["https://other.example/Patient/p1", "Patient/", "patient/p1", "Patient/p1 "]
    for identity in identities:
        for reference in references:
            want = _reference_is_referenced_by(identity, reference)
            assert identity.is_referenced_by(reference) == want, (identity, reference)


def test_decimals_read_as_through_their_string() -> None:
    from decimal import Decimal

    from fhir_mappers.values import _decimal

    rng = random.Random(11)
    texts = ["sNaN", "NaN", "-0", "0", "1e400", "-1e400", "1e-400", "Infinity", "3.20", "0.1"]
    texts += ["123456789012345678901234567890.123456789", "-7E+3"]
    texts += [f"{rng.uniform(-1e6, 1e6):.{rng.randint(0, 12)}f}" for _ in range(500)]
    for text in texts:
        value = Decimal(text)
        try:
            want: float | None = float(Decimal(str(value)))
        except ValueError:
            want = None
        got = _decimal(value)
        assert repr(got) == repr(want), text
    assert _decimal(True) is None and _decimal("x") is None and _decimal(2) == 2.0


def _reference_concept(raw: object) -> Concept:
    """`concepts._concept` as it read a CodeableConcept before reading `code` first."""
    from fhir_mappers.codes import canonical_system

    if isinstance(raw, list):
        out = Concept()
        for item in raw[:64]:
            out = out | _reference_concept(item)
        return out
    if not isinstance(raw, dict):
        return Concept()
    codings: list[tuple[str, str]] = []
    texts: list[str] = []
    listed = raw.get("coding")
    for coding in listed[:64] if isinstance(listed, list) else [raw]:
        if not isinstance(coding, dict):
            continue
        system, code, display = coding.get("system"), coding.get("code"), coding.get("display")
        if isinstance(system, str) and isinstance(code, str):
            codings.append((canonical_system(system), code.strip()))
        if isinstance(code, str):
            texts.append(code[:MAX_CONCEPT_TEXT])
        if isinstance(display, str):
            texts.append(display[:MAX_CONCEPT_TEXT])
    text = raw.get("text")
    if isinstance(text, str):
        texts.append(text[:MAX_CONCEPT_TEXT])
    return Concept(tuple(codings), " | ".join(texts)[:MAX_CONCEPT_TEXT].lower())


def _json_parts(value: object) -> list[object]:
    out = [value]
    if isinstance(value, dict):
        for v in value.values():
            out += _json_parts(v)
    elif isinstance(value, list):
        for v in value:
            out += _json_parts(v)
    return out


def test_concepts_read_as_before() -> None:
    from fhir_mappers.concepts import _concept

    odd = [None, 3, "x", [], {}, {"coding": "x"}, {"coding": [1, None, {}]}, {"text": 5}]
    odd += [{"system": "s", "code": 3, "display": "d"}, {"system": 1, "code": " c "}]
    odd += [{"coding": [{"code": "İ" * 3000, "display": "x" * 5000}], "text": "t"}]
    odd += [{"coding": [{"system": "http://loinc.org", "code": "1"}] * 70}]
    parts = odd + [p for _name, record in RECORDS[::3] for p in _json_parts(record)]
    for part in parts:
        assert _concept(part) == _reference_concept(part), part


def test_spans_are_frozen_ordered_dataclasses() -> None:
    from dataclasses import FrozenInstanceError, astuple
    from datetime import date

    from fhir_mappers.timing import Span

    a, b = Span(date(2024, 1, 1), date(2024, 1, 31)), Span(date(2024, 1, 1), date(2024, 2, 1))
    assert a < b and a == Span(date(2024, 1, 1), date(2024, 1, 31)) and a != b
    assert astuple(a) == (date(2024, 1, 1), date(2024, 1, 31)) and hash(a) == hash(
        Span(*astuple(a))
    )
    assert repr(a) == "Span(first=datetime.date(2024, 1, 1), last=datetime.date(2024, 1, 31))"
    with pytest.raises(FrozenInstanceError):
        a.first = date(2020, 1, 1)  # type: ignore[misc]


def test_fact_of_builds_the_fact_its_constructor_builds() -> None:
    from dataclasses import MISSING, fields

    from fhir_mappers.selection import fact_of
    from scoring.inputs import Fact

    # fact_of writes these five fields: a Fact with other fields, defaults or a __post_init__
    # needs fact_of changed with it
    assert [(f.name, f.default) for f in fields(Fact)] == [
        ("value", None),
        ("sources", ()),
        ("note", None),
        ("quote", None),
        ("text_disagreement", None),
    ]
    assert all(f.default_factory is MISSING and f.init for f in fields(Fact))
    assert not hasattr(Fact, "__post_init__")
    for value, sources, note in ((2.5, ("Observation/a",), None), (True, (), "n"), (0, ("x",), "")):
        made = fact_of(value, sources, note)
        plain = Fact(value, sources, note)
        assert made == plain and vars(made) == vars(plain) and repr(made) == repr(plain)
        assert type(made) is Fact and hash(made) == hash(plain)


def _reference_has_icd10_prefix(code: Concept, prefixes: tuple[str, ...]) -> bool:
    from fhir_mappers.conditions import icd10_codes

    return any(icd.startswith(prefixes) for icd in icd10_codes(code))


def test_icd10_prefixes_found_as_before() -> None:
    from fhir_mappers import clinical_codes as cc
    from fhir_mappers import spread_codes as sc
    from fhir_mappers.conditions import has_icd10_prefix

    systems = [*sorted(cc.ICD10_SYSTEMS), "http://loinc.org", "http://snomed.info/sct"]
    values = ["C78.7", "c787", "R17", "K92.2", "C25.4", "x", "", "C7B.02", "R10.1 G"]
    rng = random.Random(3)
    concepts = [Concept(((s, v),)) for s in systems for v in values] + [Concept()]
    concepts += [
        Concept(tuple((rng.choice(systems), rng.choice(values)) for _ in range(3)))
        for _ in range(300)
    ]
    for prefixes in (cc.SYMPTOM_ICD10_PREFIXES, sc.METASTASIS_ICD10_PREFIXES, ("C",), ()):
        for code in concepts:
            want = _reference_has_icd10_prefix(code, prefixes)
            assert has_icd10_prefix(code, prefixes) == want, (code, prefixes)


def _reference_observation(evidence: ResectionEvidence, entry: Entry, seen: frozenset) -> bool:
    """`ResectionEvidence._observation` before it skipped absent elements without a call."""
    from fhir_mappers.concepts import field, items

    if entry.ref in evidence._from_reports:
        return True
    seen = seen | {entry.ref}
    if any(
        _reference_observation(evidence, panel, seen)
        for panel in evidence._panels.get(entry.ref, ())
        if panel.ref not in seen
    ):
        return True
    for part in items(entry.raw, "partOf"):
        target = evidence._index.resolve(field(part, "reference"), entry)
        if target is not None and target.ref in evidence._resections:
            return True
    return any(evidence._specimen(s, entry) for s in evidence._specimens(entry))


def _evidence_answers(resources: list[Any], fast: bool) -> tuple[object, ...]:
    with one_record():
        index = RecordIndex(resources)
        index.validate_where(clinically_relevant)
        try:
            procs = procedures.resection_procedures(index, [])
            evidence = ResectionEvidence(index, frozenset(r.source for r in procs))
            answers = [
                evidence._observation(e, frozenset())
                if fast
                else _reference_observation(evidence, e, frozenset())
                for e in index.of_type("Observation")
            ]
        except RecordNeedsValidation as exc:
            return ("needs validation", str(exc), index.warnings)
    return answers, index.warnings


def test_resection_evidence_of_observations_as_before() -> None:
    found = 0
    for name, resources in RECORDS:
        fast = _evidence_answers(resources, fast=True)
        assert fast == _evidence_answers(resources, fast=False), name
        found += sum(fast[0]) if isinstance(fast[0], list) else 0
    assert found > 20  # some Observations are from the resection specimen


def test_category_counts_shortcut_gives_the_value_concepts_answer() -> None:
    from fhir_mappers.coded_values import value_concept
    from fhir_mappers.values import _CATEGORY_COUNTS, _category_counts

    holders = []
    for _name, resources in RECORDS[::2]:
        index = RecordIndex(resources)
        for entry in index.of_type("Observation"):
            model = index._model(entry)
            if model is not None:
                holders += [model, *(model.component or [])]
    for holder in holders:
        pairs = value_concept(holder).pairs(_CATEGORY_COUNTS)
        want = (
            (float(next(iter(pairs))[0]), float(next(iter(pairs))[1])) if len(pairs) == 1 else None
        )
        assert _category_counts(holder) == want


def test_any_drug_text_matches_exactly_when_one_class_does() -> None:
    import re

    from fhir_mappers import clinical_codes as cc
    from fhir_mappers.medications import _ANY_DRUG_TEXT

    words = ["octreotide", "lar", "lu-177", "177lu", "lutathera", "prrt", "xprrt", "sutent"]
    words += ["capecitabine", "temodal", "everolimus", "pancreatectomy", "distal", "|", " ", "-"]
    words += ["peptide receptor radionuclide", "dotatate", "afinitor", "signifor", "somatuline"]
    rng = random.Random(17)
    texts = ["", "pancreatectomy, distal subtotal"] + [
        "".join(rng.choice(words) + rng.choice(["", " ", ", "]) for _ in range(rng.randint(1, 6)))
        for _ in range(3000)
    ]
    union = re.compile(_ANY_DRUG_TEXT)
    for text in texts:
        want = any(re.search(t, text) for _, t in cc.DRUG_CLASSES.values())
        assert (union.search(text) is not None) == want, text


_NOT_CURATIVE_PIECES = (
    "biops",
    "biopsie",
    "y",
    "probeexzision",
    "feinnadel",
    "fine",
    "needle",
    "fine-needle",
    "fine needle",
    "palliativ",
    "debulking",
    "cytoreduct",
    "zytoredukt",
    "bypass",
    "drainage",
    "stent",
    "umgehungsanastomose",
    "pancreatectomy",
    "ion",
    "e",
    "-",
    " ",
    "|",
    "x",
)


def test_not_curative_stems_are_in_every_match() -> None:
    import re

    from fhir_mappers import resection_codes as rc
    from tests.support.pattern_texts import random_texts

    matched = 0
    for text in random_texts(_NOT_CURATIVE_PIECES, seed=29, count=5_000, most=4):
        for match in re.finditer(rc.NOT_CURATIVE_TEXT, text):
            matched += 1
            assert any(s in match.group() for s in rc.NOT_CURATIVE_STEMS), text
        says = re.search(rc.NOT_CURATIVE_TEXT, text) is not None
        stemmed = Concept(text=text).says_stemmed(rc.NOT_CURATIVE_TEXT, rc.NOT_CURATIVE_STEMS)
        assert stemmed == says, text
    assert matched > 2000


def test_plain_and_bounded_as_before() -> None:
    from fhir_mappers import values
    from fhir_mappers.text_values import Shape

    def plain(reading: Any, what: str, *allowed: Shape) -> str | None:
        if reading.shape not in (Shape.SINGLE, *allowed):
            return f"{what} given as a {reading.shape.value}, not one value"
        if reading.comparator and reading.shape is not Shape.SINGLE:
            return f"{what} with a comparator and a {reading.shape.value}"
        return None

    def bounded(value: float, comparator: str | None, what: str, how: str | None) -> Any:
        if comparator in (">", ">="):
            return None, f"{what} reported as {comparator}{value:g}; an exact value is needed"
        note = f"{what} reported as {comparator}{value:g}; used {value:g}" if comparator else None
        return value, "; ".join(filter(None, [note, how])) or None

    for shape in Shape:
        for comparator in (None, "", "<", "<=", ">", ">="):
            reading = values.Reading(2.5, "cm", comparator, shape, (2.5,), None)
            for allowed in ((), (Shape.RANGE,), (Shape.DIMENSIONS, Shape.RANGE)):
                assert values._plain(reading, "x", *allowed) == plain(reading, "x", *allowed)
            for how in (None, "", "unit cm from the code's name"):
                got = values._bounded(2.5, comparator, "size", how)
                assert got == bounded(2.5, comparator, "size", how)


def test_node_pairs_as_before() -> None:
    from fhir.resources.R4B.observation import Observation

    from fhir_mappers import values
    from fhir_mappers.text_values import Shape

    def reference(holder: Any, name: str) -> Any:
        reading, _ = values._reading(holder, name)
        if reading is not None and reading.shape is Shape.RATIO:
            return reading.numbers
        return values._category_counts(holder)

    holders = []
    for _name, resources in RECORDS[::2]:
        index = RecordIndex(resources)
        for entry in index.of_type("Observation"):
            model = index._model(entry)
            if model is not None:
                holders += [(model, entry.code.text), *((c, "") for c in model.component or [])]
    base = {"resourceType": "Observation", "status": "final", "code": {"text": "nodes"}}
    shapes = [
        {"valueRatio": {"numerator": {"value": 2}, "denominator": {"value": 14}}},
        {"valueString": "2/14"},
        {"valueString": "pN1 (2/17)"},
        {"valueString": "14"},
        {"valueInteger": 3},
        {"valueQuantity": {"value": 3}},
        {"valueCodeableConcept": {"text": "pN0 (0/12)"}},
        {"valueRange": {"low": {"value": 1}, "high": {"value": 3}}},
        {},
    ]
    holders += [(Observation.model_validate({**base, **shape}), "nodes [#]") for shape in shapes]
    for holder, name in holders:
        with one_record():
            assert values._node_pair(holder, name) == reference(holder, name), holder


def test_one_record_scopes_the_memo_as_a_generator_context_did() -> None:
    from fhir_mappers.concepts import _MEMO

    assert _MEMO.get() is None
    with one_record():
        outer = _MEMO.get()
        assert outer == {}
        with one_record():
            assert _MEMO.get() == {} and _MEMO.get() is not outer
        assert _MEMO.get() is outer
        with pytest.raises(ValueError), one_record():
            raise ValueError("inside")
        assert _MEMO.get() is outer
    assert _MEMO.get() is None


def test_non_string_date_answers_as_the_walk() -> None:
    from fhir.resources.R4B import get_fhir_model_class

    from fhir_mappers.json_dates import _walk, non_string_date

    raws = [r for _name, record in RECORDS for r in record if isinstance(r, dict)]
    odd = []
    for raw in raws[:80]:
        for key in ("effectiveDateTime", "issued", "onsetDateTime", "performedDateTime"):
            if key in raw:
                odd += [{**raw, key: 20240101}, {**raw, key: {"x": 1}}, {**raw, key: None}]
        odd.append({**raw, "meta": {"lastUpdated": 0}})
    checked = 0
    for _ in range(2):  # before and after the models' checks are built
        for raw in raws + odd:
            try:
                model = get_fhir_model_class(raw["resourceType"])
            except (ValueError, KeyError, TypeError):
                continue
            found = non_string_date(model, raw)
            assert found == _walk(model, raw, "", 0), raw.get("id")
            checked += found is not None
    assert checked > 100


def _reference_concept_of_model(model: object) -> Concept:
    """`concepts.concept_of_model` as it was: through a dict per coding and `_concept`."""
    from fhir_mappers.concepts import _concept

    if model is None:
        return Concept()
    raw: dict[str, object] = {}
    codings = getattr(model, "coding", None)
    if codings:
        raw["coding"] = [
            {k: v for k in ("system", "code", "display") if (v := getattr(c, k, None)) is not None}
            for c in codings
        ]
    text = getattr(model, "text", None)
    if text is not None:
        raw["text"] = text
    return _concept(raw)


def test_concept_of_model_reads_as_through_a_dict() -> None:
    from fhir.resources.R4B.codeableconcept import CodeableConcept

    from fhir_mappers.concepts import concept_of_model

    found: list[object] = []
    for _name, resources in RECORDS[::2]:
        index = RecordIndex(resources)
        for entry in index._entries:
            model = index._model(entry)
            for holder in [model, *(getattr(model, "component", None) or [])]:
                for key in ("code", "valueCodeableConcept", "bodySite", "method", "type"):
                    value = getattr(holder, key, None)
                    found += value if isinstance(value, list) else [value]
    found += [
        CodeableConcept.model_validate(raw)
        for raw in (
            {"text": "only text"},
            {"coding": [{"system": "urn:oid:2.16.840.1.113883.6.1", "code": "1"}]},
            {"coding": [{"display": "no code"}, {"code": "no system"}]},
            {"coding": [{"system": "s", "code": f"c{n}"} for n in range(70)], "text": "T"},
            {"coding": [{"system": "s", "code": "İ" * 2100, "display": "x" * 2000}]},
        )
    ]
    assert len(found) > 200
    for model in found:
        assert concept_of_model(model) == _reference_concept_of_model(model), model
