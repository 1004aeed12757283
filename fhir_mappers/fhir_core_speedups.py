"""The same checks as fhir_core's two model validators, with their per-class work done once.

Every FHIR element a resource holds (each Coding, Reference, Quantity ...) is a pydantic model
whose validation runs two Python validators from `fhir_core.fhirabstractmodel.FHIRAbstractModel`:
`reject_null_complex_elements` (before: no null inside a list of complex elements) and
`validate_after_model_construction` (after: required primitive elements present or explained by
an extension, at most one - and, where required, exactly one - value of each choice element
`nnn[x]`). As shipped (fhir_core 1.1.12), both re-derive facts about the *class* on every
*instance*: which fields are lists of complex types (`is_list_type` / `is_primitive_type` per
field), the required and choice fields (a dict built per call), each field's metadata through
pydantic's deprecated `model_fields` accessor. That was 35-45 % of validating a resource.

`install()` replaces the two methods on `FHIRAbstractModel` with versions that compute those
class facts once per class and then run the same checks, in the same order, with the same
errors. pydantic binds inherited model validators when a subclass is created, so every
`fhir.resources` model class built after `install()` uses them; `fhir_mappers/index.py`, the
one module that builds them (through `get_fhir_model_class`), calls it when it is imported. A
class built earlier keeps the originals, which decide exactly the same (only slower).
tests/test_fhir_core_speedups.py checks both against the originals on valid and invalid
elements, and that the installed models use them; a fhir_core upgrade goes through
requirements.lock and that test.

`install()` also gives every FHIR model class CPython's generic attribute lookup in place of
pydantic's `__getattr__` hook (`scoring.fast_reads.generic_reads_below`: the mappers read
elements as attributes; the same values and errors, tests/test_fast_reads.py).
"""

from __future__ import annotations

from typing import Any

from fhir_core.fhirabstractmodel import FHIRAbstractModel
from fhir_core.utils import is_list_type, is_primitive_type
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from scoring.fast_reads import generic_reads_below

# The originals, for the equivalence tests and as the fallback for a class whose facts cannot
# be derived up front (its original would then fail the same way on every instance).
ORIGINAL_REJECT_NULL = FHIRAbstractModel.__dict__["reject_null_complex_elements"]
ORIGINAL_AFTER = FHIRAbstractModel.__dict__["validate_after_model_construction"]
_original_reject = ORIGINAL_REJECT_NULL.__func__
_original_after = ORIGINAL_AFTER

_MISSING = object()

# class -> ((alias, name), ...) of its fields that are lists of complex elements
_COMPLEX_LISTS: dict[type, tuple[tuple[str | None, str], ...]] = {}
# class -> (required primitives: ((attribute, alias, ext attribute), ...),
#           choice groups: ((attributes, exactly one required), ...)), or None: use the original
_AFTER_FACTS: dict[type, Any] = {}


def _complex_lists(cls: type[FHIRAbstractModel]) -> tuple[tuple[str | None, str], ...]:
    found = _COMPLEX_LISTS.get(cls)
    if found is None:
        found = tuple(
            (field.alias, name)
            for name, field in cls.__pydantic_fields__.items()
            if is_list_type(field) and not is_primitive_type(field) and not name.endswith("__ext")
        )
        _COMPLEX_LISTS[cls] = found
    return found


def reject_null_complex_elements(cls: type[FHIRAbstractModel], data: Any) -> Any:
    """As `FHIRAbstractModel.reject_null_complex_elements`."""
    if not isinstance(data, dict):
        return data
    # Every value checked below is a value of `data`: with no None inside any list value there
    # is nothing to find (`None in` matches by identity first, so it never misses one).
    for value in data.values():
        if isinstance(value, list) and None in value:
            break
    else:
        return data
    errors: list[InitErrorDetails] = []
    for alias, name in _complex_lists(cls):
        key = alias if alias and alias in data else name
        value = data.get(key)
        if isinstance(value, list) and any(item is None for item in value):
            errors.append(
                {
                    "type": PydanticCustomError(
                        "list_type", "None is not allowed as an element of {field}", {"field": key}
                    ),
                    "loc": (key,),
                    "input": value,
                }
            )
    if errors:
        raise ValidationError.from_exception_data(cls.__name__, errors)
    return data


def _after_facts(model: FHIRAbstractModel) -> Any:
    cls = type(model)
    if cls in _AFTER_FACTS:
        return _AFTER_FACTS[cls]
    try:
        fields = cls.__pydantic_fields__
        aliases = cls.get_alias_mapping()
        required = []
        for name, ext in model.get_required_fields():
            key = aliases[name]
            required.append((key, fields[key].alias, ext))
        choices = []
        for prefix, group in model.get_one_of_many_fields().items():
            extra = fields[group[0]].json_schema_extra
            if not isinstance(extra, dict) or extra["one_of_many"] != prefix:
                raise LookupError(prefix)  # the original's assertion would fail
            if not all(attribute in fields for attribute in group):
                raise LookupError(prefix)  # then `getattr` as the original (not a field value)
            choices.append((tuple(group), extra["one_of_many_required"] is True))
        facts: Any = (tuple(required), tuple(choices))
    except (KeyError, LookupError, TypeError, AttributeError):
        facts = None
    _AFTER_FACTS[cls] = facts
    return facts


def validate_after_model_construction(self: FHIRAbstractModel) -> FHIRAbstractModel:
    """As `FHIRAbstractModel.validate_after_model_construction`: required primitive elements,
    then choice elements."""
    facts = _after_facts(self)
    if facts is None:
        return _original_after(self)
    required, choices = facts
    if required:
        _check_required(self, required)
    values = self.__dict__  # every attribute of a choice group is a field (`_after_facts`)
    for group, exactly_one in choices:
        found = False
        for attribute in group:
            if values.get(attribute) is not None:
                if found:
                    raise ValueError(
                        "Any of one field value is expected from "
                        f"this list {list(group)}, but got multiple!"
                    )
                found = True
        if exactly_one and not found:
            raise ValueError(f"Expect any of field value from this list {list(group)}.")
    return self


def _check_required(self: FHIRAbstractModel, required: tuple[tuple[str, Any, Any], ...]) -> None:
    errors: list[InitErrorDetails] = []
    for key, alias, ext in required:
        value = getattr(self, key, _MISSING)
        if value is not _MISSING and value is not None:
            continue
        if _explained_by_extension(getattr(self, ext, _MISSING) if ext is not None else None):
            continue
        errors.append(
            {
                "type": PydanticCustomError(
                    "model_field_validation.missing",
                    "Value for the field '{field_name}' is required.",
                    {"field_name": alias},
                ),
                "loc": (alias,),
                "input": value,
            }
        )
    if errors:
        raise ValidationError.from_exception_data(type(self).__name__, errors)


def _explained_by_extension(ext_value: Any) -> bool:
    """The original's test on the `_field` sibling of a missing required primitive."""
    if ext_value is _MISSING or ext_value is None:
        return False
    if isinstance(ext_value, dict):
        return len(ext_value.get("extension", [])) != 0
    return bool(ext_value.extension and len(ext_value.extension) > 0)


def install() -> None:
    """Put the two validators on FHIRAbstractModel, and the one-pass `model_validate` of
    `fhir_core_fast` (idempotent)."""
    from fhir_mappers import fhir_core_fast  # here: it imports this module

    fhir_core_fast.install()
    FHIRAbstractModel.reject_null_complex_elements = classmethod(reject_null_complex_elements)  # type: ignore[method-assign, assignment]
    FHIRAbstractModel.validate_after_model_construction = validate_after_model_construction  # type: ignore[method-assign]
    generic_reads_below(FHIRAbstractModel)


def installed_in(model_class: type[FHIRAbstractModel]) -> bool:
    """Whether `model_class`'s pydantic validators are the ones of this module."""
    decorators = model_class.__pydantic_decorators__.model_validators
    funcs = {getattr(d.func, "__func__", d.func) for d in decorators.values()}
    return reject_null_complex_elements in funcs and validate_after_model_construction in funcs
