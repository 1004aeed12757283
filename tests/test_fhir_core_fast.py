"""fhir_mappers.fhir_core_fast (one-pass `model_validate`) and the pydantic-core date pre-check
of fhir_mappers.json_dates decide, build and report exactly as the shipped paths.

Each case is validated with the one-pass `model_validate` installed, then with it uninstalled
(pydantic's own `model_validate`, every element through fhir_core's wrap validator and custom
__init__, as shipped): the same accepted set, the same `model_dump` (and JSON, and fields set),
the same errors (type, loc, msg, input, ctx, and the message text). The cases: every resource
of the test data, and each broken in the ways validation checks (wrong types, unknown fields,
two value[x], a bad or misplaced resourceType, nulls, numeric dates, primitives with only an
extension, contained resources, elements given as JSON text or lists). The date pre-check is
compared with the walk it spares on the same cases.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from fhir_mappers import (
    fhir_core_fast,
    index,  # noqa: F401 - installs the speedups, as the service does
    json_dates,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"


def _resources() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("resourceType"), str):
                found.append(node)
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    for path in sorted(DATA.glob("**/*.json")):
        collect(json.loads(path.read_text()))
    return [r for r in found if _model(r["resourceType"]) is not None]


def _model(rtype: str) -> Any:
    try:
        return get_fhir_model_class(rtype)
    except (KeyError, ValueError, ImportError, AttributeError):
        return None


def _without(res: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in res.items() if k != key}


def _variants(res: dict[str, Any]) -> Iterator[dict[str, Any]]:
    rtype = res["resourceType"]
    yield _without(res, "contained")
    yield {**res, "unknownField": 1}
    for resource_type in ("Foo", None):
        yield {**res, "resourceType": resource_type}
    yield _without(res, "resourceType")
    yield {**res, "resource_type": rtype}
    yield {**res, "id": 123}
    yield {**res, "meta": {"lastUpdated": 0}}
    yield {**res, "meta": {"versionId": "1", "resourceType": "Meta"}}
    for meta in ("text", json.dumps({"versionId": "1"}), [{"versionId": "1"}], None, {1: "x"}):
        yield {**res, "meta": meta}
    yield {**res, "text": {"status": "generated"}}  # div required
    yield {**res, "extension": [None]}
    yield {**res, "extension": [{"url": "http://x", "valueString": "a", "valueInteger": 1}]}
    yield {**res, "extension": [{"valueString": "a"}]}  # url required
    yield {**res, "extension": [{"_url": {"extension": [{"url": "u", "valueCode": "a"}]}}]}
    for contained in (
        {"resourceType": "Observation", "id": "c", "status": "final", "code": {"text": "x"}},
        {"resourceType": "Observation", "id": "c", "code": {"text": "x"}},
        {"resourceType": "Nope"},
        None,
        {"id": "x"},
        {"resourceType": "Coding", "code": "x"},
    ):
        yield {**res, "contained": [contained]}
    for key, value in res.items():
        if isinstance(value, dict):
            for broken in (
                {**value, "bogus": True},
                {**value, "resourceType": "Wrong"},
                {**value, "resource_type": "X"},
                {**value, "extension": [None]},
                {**value, "id": 5},
                7,
                json.dumps(value),
                [value],
                None,
            ):
                yield {**res, key: broken}
            break
    for key, value in res.items():
        if isinstance(value, list) and value and isinstance(value[0], dict) and key != "contained":
            for broken_list in (
                [*value, None],
                value[0],
                [*value, "x"],
                [{**value[0], "extra": 1}],
                [json.dumps(value[0])],
                tuple(value),
            ):
                yield {**res, key: broken_list}
            break
    for key in ("effectiveDateTime", "birthDate", "issued", "authoredOn", "onsetDateTime"):
        if key in res:
            for date in (0, 1.5, True, None, "2020-13", "2020-02-30", "2016-12-31T23:59:60Z"):
                yield {**res, key: date}
            for date in ("2020-01-01T10:00:00", "2020", "2020-05", "2020-01-01", ["2020"]):
                yield {**res, key: date}
            yield {**_without(res, key), f"_{key}": {"extension": [{"url": "u", "valueCode": "a"}]}}
    if "status" in res:
        yield _without(res, "status")
        yield {**res, "status": None, "_status": {"extension": [{"url": "u", "valueCode": "a"}]}}
        yield {**_without(res, "status"), "_status": {"extension": []}}
        yield {**res, "status": " final"}
    if rtype == "Observation":
        yield {**res, "valueString": "1", "valueBoolean": True}
        yield {**res, "valueQuantity": {"value": "abc"}}
        yield {**res, "valueQuantity": {"value": 1.50, "unit": "mg"}}
        yield {**res, "effectivePeriod": {"start": 0}}
        yield {**res, "component": [{"code": {"text": "c"}, "valueInteger": 1, "valueString": "x"}]}
        yield {**res, "code": {"coding": [None, {"code": "a"}]}}
        yield {**res, "code": {"coding": [{"code": "a", "resourceType": "Coding"}]}}
    if rtype == "Patient":
        yield {**res, "deceasedBoolean": True, "deceasedDateTime": "2020"}
        yield {**res, "name": [{"given": ["A", None], "_given": [None, {"id": "x"}]}]}
        yield {**res, "name": [{"given": [None]}]}


def _cases() -> list[dict[str, Any]]:
    resources = _resources()
    cases = list(resources)
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for res in resources:
        shape = (res["resourceType"], tuple(sorted(res)))
        if shape not in seen:
            seen.add(shape)
            cases.extend(_variants(res))
    return cases


def _outcome(call: Callable[[], Any]) -> list[Any]:
    try:
        model = call()
    except ValidationError as exc:
        details = [
            [e["type"], list(e["loc"]), e["msg"], repr(e.get("input")), repr(e.get("ctx"))]
            for e in exc.errors()
        ]
        return ["invalid", str(exc), details]
    except (ValueError, TypeError, KeyError, AssertionError) as exc:
        return [type(exc).__name__, str(exc)]
    fields = sorted(model.model_fields_set)
    return ["ok", type(model).__name__, repr(model.model_dump()), model.model_dump_json(), fields]


CASES = _cases()


def _model_of(case: dict[str, Any]) -> Any:
    rtype = case.get("resourceType")
    return (isinstance(rtype, str) and _model(rtype)) or get_fhir_model_class("Observation")


def test_the_cases_exercise_both_sides() -> None:
    assert len(CASES) > 1000
    kinds = {_outcome(lambda c=c: _model_of(c).model_validate(c))[0] for c in CASES[:3000]}
    assert {"ok", "invalid"} <= kinds


def test_one_pass_validation_as_shipped() -> None:
    mine = [_outcome(lambda c=c: _model_of(c).model_validate(c)) for c in CASES]
    fhir_core_fast.uninstall()
    try:
        theirs = [_outcome(lambda c=c: _model_of(c).model_validate(c)) for c in CASES]
    finally:
        fhir_core_fast.install()
    for case, a, b in zip(CASES, mine, theirs, strict=True):
        assert a == b, case


def test_the_one_pass_validator_takes_the_valid_resources() -> None:
    """Not vacuous: the valid resources of the test data are validated in one pass, but for
    those holding resources (a Bundle's entries, contained ones): these are dispatched on
    their resourceType by their wrap validator, where the one-pass validator cannot see their
    dates (`json_dates.with_date_check`), so it leaves them to the shipped path."""
    taken = 0
    for res in _resources():
        cls = _model_of(res)
        data = _without(res, "resourceType")
        try:
            cls.model_validate(res)  # first: rebuilds the validator if an element was built
        except ValidationError:
            continue
        validator = fhir_core_fast.fast_validator(cls)
        assert validator is not None, cls
        if res["resourceType"] == "Bundle" or "contained" in res:
            with pytest.raises(ValidationError):
                validator.validate_python(data)
            continue
        validator.validate_python(data)  # accepted in one pass, not by the fallback
        taken += 1
    assert taken > 100


def test_input_is_not_changed() -> None:
    for case in CASES[:2000]:
        before = repr(case)
        _outcome(lambda c=case: _model_of(c).model_validate(c))
        assert repr(case) == before


@pytest.mark.parametrize("chunk", range(4))
def test_date_precheck_as_the_walk(chunk: int) -> None:
    for case in CASES[chunk::4]:
        model = _model_of(case)
        assert json_dates.non_string_date(model, case) == json_dates._walk(model, case, "", 0)


def test_date_precheck_finds_numbers() -> None:
    observation = get_fhir_model_class("Observation")
    raw = {"status": "final", "code": {"text": "x"}, "effectivePeriod": {"start": 0}}
    assert json_dates.non_string_date(observation, raw) == "effectivePeriod.start"
    for _ in range(json_dates._BUILD_AT):  # the first ones of a kind are walked
        json_dates._all_strings_check(observation)
    assert json_dates._all_strings_check(observation) is not None
    raw = {"status": "final", "code": {"text": "x"}, "effectivePeriod": {"start": "2020"}}
    assert json_dates.non_string_date(observation, raw) is None


_FRESH = """
import sys
import fhir_mappers.index
from fhir.resources.R4B import get_fhir_model_class
from fhir_mappers import fhir_core_fast
observation = get_fhir_model_class("Observation")
raw = {"resourceType": "Observation", "status": "final", "code": {"coding": [{"code": "a"}]}}
for _ in range(fhir_core_fast.BUILD_AT + 1):
    observation.model_validate(raw)
assert fhir_core_fast._FAST[observation] is not None
assert fhir_core_fast.fast_validator(observation) is not None
print("fhir.resources.R4B.address" in sys.modules, "fhir.resources.R4B.extension" in sys.modules)
"""


def test_no_model_is_imported_or_built_for_the_one_pass_validator() -> None:
    """It reaches the element models validation has built; the others keep their wrap
    validator (built when first met, as shipped), so a one-shot process pays for no more."""
    out = subprocess.run(
        [sys.executable, "-c", _FRESH], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.split() == ["False", "False"]


def test_an_element_built_later_is_reached_in_one_pass_after_it() -> None:
    observation = get_fhir_model_class("Observation")
    raw = {"status": "final", "code": {"text": "x"}, "valueRatio": {"numerator": {"value": 1}}}
    for _ in range(fhir_core_fast.BUILD_AT + 1):
        observation.model_validate(raw)
    validator = fhir_core_fast.fast_validator(observation)
    assert validator is not None
    assert validator.validate_python(raw).valueRatio.numerator.value == 1


def _deep_extension(depth: int, leaf: dict[str, Any]) -> dict[str, Any]:
    for _ in range(depth):
        leaf = {"url": "urn:x", "extension": [leaf]}
    return leaf


def _dated_cases() -> list[dict[str, Any]]:
    """The cases, and dates given as other than strings deep in elements and lists."""
    observation = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}
    odd: list[Any] = [0, 1.5, True, {"x": 1}, ["2020", 3], ("2020",), [None], []]
    extra = [
        {**observation, key: value} for value in odd for key in ("effectiveDateTime", "issued")
    ]
    extra += [{**observation, "effectivePeriod": {"start": value}} for value in odd]
    extra += [{**observation, "note": [{"text": "n", "time": value}]} for value in odd]
    extra += [{**observation, "meta": {"lastUpdated": value}} for value in odd]
    extra += [
        {**observation, "extension": [_deep_extension(depth, {"url": "u", "valueDate": value})]}
        for depth in (0, 5, 31, 40)
        for value in (7, "2020-01-02")
    ]
    extra += [
        {**observation, "component": [{"code": {"text": "c"}, "valuePeriod": {"end": value}}]}
        for value in odd
    ]
    extra.append(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": {**observation, "meta": {"lastUpdated": 5}}}],
        }
    )
    return CASES + extra


def test_one_pass_acceptance_means_no_date_to_report() -> None:
    """`RecordIndex` skips the date walk for a resource the one-pass validator accepts: that
    validator never accepts one the walk would refuse, and its model is the shipped one."""
    cases = _dated_cases()
    for _ in range(2):  # the first round builds the validators (and the elements' models)
        for case in cases:
            _outcome(lambda c=case: _model_of(c).model_validate(c))
    accepted = refused_for_date = 0
    for case in cases:
        cls = _model_of(case)
        model = fhir_core_fast.one_pass_model(cls, case)
        walked = json_dates._walk(cls, case, "", 0)
        if model is None:
            refused_for_date += walked is not None
            continue
        accepted += 1
        assert walked is None, case
        shipped = fhir_core_fast.shipped_model(cls, case)
        assert model.model_dump_json() == shipped.model_dump_json(), case
    assert accepted > 500
    assert refused_for_date > 50


def test_the_date_check_leaves_the_classes_schemas_as_they_were() -> None:
    observation = get_fhir_model_class("Observation")
    before = repr(observation.__pydantic_core_schema__)
    fhir_core_fast._build(observation)
    assert repr(observation.__pydantic_core_schema__) == before


def test_an_element_left_to_its_wrap_validator_holds_no_value() -> None:
    """Where the one-pass validator does not reach an element (a resource in a Bundle entry),
    it cannot see its dates: any value there goes the shipped way."""
    bundle = get_fhir_model_class("Bundle")
    raw = {
        "type": "collection",
        "entry": [{"resource": {"resourceType": "Patient", "meta": {"lastUpdated": 0}}}],
    }
    for _ in range(fhir_core_fast.BUILD_AT + 1):
        bundle.model_validate(raw)
    assert fhir_core_fast.fast_validator(bundle) is not None
    assert json_dates._walk(bundle, raw, "", 0) == "entry.resource.meta.lastUpdated"
    assert fhir_core_fast.one_pass_model(bundle, raw) is None
    assert fhir_core_fast.one_pass_model(bundle, {"type": "collection", "entry": [{}]})
