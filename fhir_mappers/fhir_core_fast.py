"""`model_validate` of a FHIR JSON object in one pass of pydantic-core, or exactly as shipped.

As shipped (fhir_core 1.1.12), every complex element a resource holds (each Coding, Reference,
Quantity ...) is validated from Python: its field's schema is a wrap validator
(`FhirBase.__get_pydantic_core_schema__._validate`) that calls `fhir_model_validator`, which
calls the element's `model_validate`, which calls its custom `FHIRAbstractModel.__init__`
(resourceType check), which calls `BaseModel.__init__`, which validates the same dict again,
running the element's after-validator twice. ~6.5 such round trips per resource were most of
the cost of validating one.

`install()` replaces `FHIRAbstractModel.model_validate` with a version that, for a plain dict
and no options, first tries a validator built per class (`fhir_core_schema.Builder`) from the
class's own core schema, changed only where the change cannot make it accept more or build
otherwise:

- each element's wrap validator becomes what it amounts to for a dict: the element's model
  schema, reached directly (no custom __init__: a dict holding "resourceType"/"resource_type",
  which __init__ would pop and check, is refused as an extra key), or null as the wrap
  validator returns it; anything else (a JSON string, a model instance) is refused. An element
  whose model is not built yet keeps its wrap validator (see `_one_pass`), and so do contained
  resources (dispatched on their resourceType);
- a list the null check (`reject_null_complex_elements`) covers refuses a null item (and any
  item that is not an object) itself; the null check, which then cannot fail, is left out;
- the after-validator of an element class with no required primitive and no choice element
  (it then only returns the model) is left out; the others stay, as do all field validators
  and the config (extra="forbid");
- the common date/time strings are parsed in pydantic-core before the wrap validator is asked
  (`fhir_core_dates`);
- it refuses every date or time given as other than a JSON string that
  `json_dates.non_string_date` would report (`json_dates.with_date_check`; it then also refuses
  any value where an element is left to its wrap validator), so `RecordIndex` walks only the
  resources it does not accept (`one_pass_model`).

Whenever it does not accept (any error), the shipped `model_validate` runs on the same input
and its result, or its error, is the answer: the errors are the shipped ones, always.

Built models are instances of the same classes with the same fields set: `model_dump` and
serialisation do not change (they never went through the wrap validator). A class's first
`BUILD_AT` validations are as shipped: a one-shot process scoring one record builds, imports
and pays for nothing more than it did.
tests/test_fhir_core_fast.py compares both paths on the test data and invalid variants of it.
"""

from __future__ import annotations

from typing import Any

from fhir_core.fhirabstractmodel import FHIRAbstractModel
from pydantic import BaseModel
from pydantic_core import SchemaValidator, core_schema

_ORIGINAL_VALIDATE = BaseModel.__dict__["model_validate"].__func__
ORIGINAL_MODEL_VALIDATE = FHIRAbstractModel.__dict__.get("model_validate")


# Building a class's one-pass validator (~3 ms for Observation) costs what ~100 validations
# save: a one-shot process scoring one record (a few resources of a kind) is cheaper without.
BUILD_AT = 8

# class -> its one-pass validator, or None: this class is always validated as shipped
_FAST: dict[type, Any] = {}
# classes validated at least once; their count, which a validator built earlier compares with
_SEEN: dict[type, int] = {}
_GENERATION = [0]


class _OnePass:
    """A class's one-pass validator, and the elements it leaves to their wrap validator
    because their models were not built yet (by `_model_klass`)."""

    __slots__ = ("generation", "missing", "validator")

    def __init__(self, validator: SchemaValidator, missing: frozenset[str]) -> None:
        self.validator = validator
        self.missing = missing
        self.generation = _GENERATION[0]


def _build(model: type[FHIRAbstractModel]) -> _OnePass | None:
    # imported here: a process that builds none (one record) does not load the rewriting
    from fhir_mappers.fhir_core_schema import (
        Builder,
        Unsupported,
        plain_fhir_model,
    )
    from fhir_mappers.json_dates import NotWritten, with_date_check

    if not plain_fhir_model(model):
        return None
    try:
        builder = Builder()
        root = builder.ref(model)
        validator = SchemaValidator(
            core_schema.definitions_schema(
                core_schema.definition_reference_schema(root), with_date_check(builder.definitions)
            )
        )
    except (Unsupported, NotWritten):
        return None
    return _OnePass(validator, frozenset(builder.missing))


def _one_pass(cls: type[FHIRAbstractModel]) -> _OnePass | None:
    """`cls`'s one-pass validator: none for its first validations (as shipped: the first
    imports and builds the element models the record has), built at the `BUILD_AT`-th from
    the element models built by then, and built again when one it left out has been built."""
    entry = _FAST.get(cls, _MISSING)
    if entry is _MISSING:
        seen = _SEEN[cls] = _SEEN.get(cls, 0) + 1
        if seen == 1:
            _GENERATION[0] += 1  # a class validated for the first time: built now
        if seen < BUILD_AT or not cls.__pydantic_complete__ or not _is_resource(cls):
            return None  # an element is reached in one pass from its resource's validator
        entry = _FAST[cls] = _build(cls)
    elif entry is not None and entry.generation != _GENERATION[0]:
        from fhir_mappers.fhir_core_schema import built  # see `_build`

        entry.generation = _GENERATION[0]
        if any(built(name) is not None for name in entry.missing):
            entry = _FAST[cls] = _build(cls)
    return entry


def _is_resource(cls: type[FHIRAbstractModel]) -> bool:
    """A resource (Observation ...), as opposed to an element (Coding ...): only resources
    get a validator of their own; an element validated through its wrap validator (a model
    not built when its resource's was) is validated as shipped."""
    has_resource_base = getattr(cls, "has_resource_base", None)
    return bool(has_resource_base is not None and has_resource_base())


def fast_validator(model: type[FHIRAbstractModel]) -> SchemaValidator | None:
    """The one-pass validator of `model` (built now if need be), or None: as shipped."""
    if model not in _FAST and model.__pydantic_complete__:
        _FAST[model] = _build(model)
    entry = _FAST.get(model)
    return entry.validator if entry is not None else None


def model_validate(cls: type[FHIRAbstractModel], obj: Any, **options: Any) -> Any:
    """As `BaseModel.model_validate` (the shipped one, through the custom __init__)."""
    if type(obj) is dict and (not options or all(value is None for value in options.values())):
        model = one_pass_model(cls, obj)
        if model is not None:
            return model
    return _ORIGINAL_VALIDATE(cls, obj, **options)


def one_pass_model(cls: type[FHIRAbstractModel], obj: dict[str, Any]) -> Any:
    """The model of `obj` if `cls`'s one-pass validator accepts it; it then also holds no date
    `json_dates.non_string_date` would report (`json_dates.with_date_check`). None: not
    accepted, or no such validator (yet); `shipped_model` then decides."""
    entry = _FAST.get(cls)
    if entry is None or entry.generation != _GENERATION[0]:  # else `_one_pass` would return it
        entry = _one_pass(cls)
        if entry is None:
            return None
    data = obj
    if "resourceType" in obj:
        # the custom __init__ pops it and checks it names this class
        if obj["resourceType"] != cls.__resource_type__:
            return None
        data = dict(obj)  # the caller's dict is not changed
        del data["resourceType"]
    if "resource_type" in data:
        return None
    try:
        return entry.validator.validate_python(data)
    except Exception:  # any: the shipped path decides, and says why
        return None


def shipped_model(cls: type[FHIRAbstractModel], obj: dict[str, Any]) -> Any:
    """`model_validate(obj)` after `one_pass_model(cls, obj)` gave None: the shipped path (not
    the one-pass validator again, nor counted again towards its build)."""
    return _ORIGINAL_VALIDATE(cls, obj)


_MISSING: Any = object()


def install() -> None:
    """Put `model_validate` on FHIRAbstractModel (idempotent; any class, built or not)."""
    FHIRAbstractModel.model_validate = classmethod(model_validate)  # type: ignore[method-assign, assignment]


def uninstall() -> None:
    """Back to pydantic's own (for the equivalence tests)."""
    if ORIGINAL_MODEL_VALIDATE is None:
        if "model_validate" in FHIRAbstractModel.__dict__:
            del FHIRAbstractModel.model_validate
    else:
        FHIRAbstractModel.model_validate = ORIGINAL_MODEL_VALIDATE  # type: ignore[method-assign]
