"""`model_validate` of a FHIR JSON object in one pass of pydantic-core, or exactly as shipped.

As shipped (fhir_core 1.1.12), every complex element a resource holds (each Coding, Reference,
Quantity ...) is validated from Python: its field's schema is a wrap validator
(`FhirBase.__get_pydantic_core_schema__._validate`) that calls `fhir_model_validator`, which
calls the element's `model_validate`, which calls its custom `FHIRAbstractModel.__init__`
(resourceType check), which calls `BaseModel.__init__`, which validates the same dict again,
running the element's after-validator twice. ~6.5 such round trips per resource were most of
the cost of validating one.

`install()` replaces `FHIRAbstractModel.model_validate` with a version that, for a plain dict
and no options, first tries a validator built once per class from the class's own core schema
in which each such wrap validator is replaced by what it amounts to for a dict: the element's
model schema, reached directly (`_fast_schema`). Everything else in the schema is the class's
own: the same fields, the same field validators, the same model validators (before and after,
per element), the same config (extra="forbid"). Because the replacement accepts only a dict
(or null, as the wrap validator does) where the original also accepted a JSON string or a
model instance, and refuses an element dict holding "resourceType"/"resource_type" (which the
custom __init__ would pop and check), whatever it accepts the shipped path accepts with the
same result. Whenever it does not accept (any error), the shipped `model_validate` runs on the
same input and its result, or its error, is the answer: errors are the shipped ones, always.

Built models are instances of the same classes with the same fields set: `model_dump` and
serialisation do not change (they never went through the wrap validator). The equivalence is
tested in tests/test_fhir_core_fast.py against fhir_core as shipped in a fresh interpreter.
"""

from __future__ import annotations

from typing import Any

from fhir_core.fhirabstractmodel import FHIRAbstractModel
from fhir_core.types import FhirBase, FhirElementOrResourceBase
from pydantic import BaseModel
from pydantic_core import SchemaValidator, core_schema

from fhir_mappers.fhir_core_dates import fast_temporal
from fhir_mappers.fhir_core_speedups import (
    ORIGINAL_AFTER,
    ORIGINAL_REJECT_NULL,
    _after_facts,
    _complex_lists,
    reject_null_complex_elements,
    validate_after_model_construction,
)

_ORIGINAL_VALIDATE = BaseModel.__dict__["model_validate"].__func__
ORIGINAL_MODEL_VALIDATE = FHIRAbstractModel.__dict__.get("model_validate")
_FHIR_INIT = FHIRAbstractModel.__init__
_FHIR_MODEL_VALIDATOR = FhirBase.__dict__["fhir_model_validator"].__func__
_WRAP_QUALNAME = "FhirBase.__get_pydantic_core_schema__.<locals>._validate"

# class -> its one-pass validator, or None: this class is always validated as shipped
_FAST: dict[type, SchemaValidator | None] = {}


class _Unsupported(Exception):
    """A schema this module does not know how to rewrite: the class stays as shipped."""


def _element_model(node: dict[str, Any]) -> type[FHIRAbstractModel] | None:
    """The model class a FhirBase wrap validator validates with, if `node` is one whose
    behaviour for a dict is exactly "validate the dict with that model"."""
    if node.get("type") != "function-wrap":
        return None
    function = node["function"].get("function")
    if getattr(function, "__qualname__", None) != _WRAP_QUALNAME:
        return None
    cells = dict(zip(function.__code__.co_freevars, function.__closure__ or (), strict=True))
    source_type = cells["source_type"].cell_contents
    base = cells["cls"].cell_contents
    if issubclass(base, FhirElementOrResourceBase):
        return None  # contained resources: dispatched on resourceType, kept as shipped
    if base.__dict__.get("fhir_model_validator") is not None or not issubclass(base, FhirBase):
        raise _Unsupported(base)
    if getattr(base.fhir_model_validator, "__func__", None) is not _FHIR_MODEL_VALIDATOR:
        raise _Unsupported(base)
    model = source_type.get_model_klass()
    if not _plain_fhir_model(model):
        raise _Unsupported(model)
    return model


def _plain_fhir_model(model: Any) -> bool:
    """A model whose validation is the shipped FHIRAbstractModel one (no override)."""
    return (
        isinstance(model, type)
        and issubclass(model, FHIRAbstractModel)
        and model.__init__ is _FHIR_INIT
        and model.__resource_type__ is not Ellipsis
        and "resourceType" not in model.__pydantic_fields__
        and "resource_type" not in model.__pydantic_fields__
    )


def _core_schema(model: type[FHIRAbstractModel]) -> dict[str, Any]:
    if not model.__pydantic_complete__:
        model.model_rebuild(raise_errors=True)
    schema = model.__pydantic_core_schema__
    if not isinstance(schema, dict):
        raise _Unsupported(model)
    return schema


class _Builder:
    """One class's one-pass schema: its own, each element reached as a definition."""

    def __init__(self) -> None:
        self.definitions: dict[type, dict[str, Any]] = {}
        # model -> its fields whose list of elements is made to refuse a null item
        self.non_null_lists: dict[type, set[str]] = {}

    def ref(self, model: type[FHIRAbstractModel]) -> str:
        name = f"fast:{model.__module__}.{model.__qualname__}"
        if model not in self.definitions:
            self.definitions[model] = {}  # placeholder: elements nest recursively (Extension)
            schema = self.rewrite(_core_schema(model), model)
            schema["ref"] = name
            self.definitions[model] = schema
        return name

    def rewrite(self, node: Any, model: type[FHIRAbstractModel], field: str | None = None) -> Any:
        """`node` for the one-pass validator; `field`: inside that field of `model`, a list of
        elements the null check (`reject_null_complex_elements`) covers."""
        if isinstance(node, list):
            return [self.rewrite(item, model, field) for item in node]
        if not isinstance(node, dict):
            return node
        kind = node.get("type")
        if kind in ("definitions", "definition-ref"):
            raise _Unsupported(model)  # not produced for these models; not handled here
        element = _element_model(node)
        if element is not None:
            return self.element(element, nullable=True)
        if kind == "list" and field is not None:
            item_model = _element_model(node["items_schema"])
            if item_model is not None:
                self.non_null_lists.setdefault(model, set()).add(field)
                return {**_own_keys(node), "items_schema": self.element(item_model, nullable=False)}
        if kind == "function-after" and _no_after_checks(node, model):
            return self.rewrite(node["schema"], model)
        if kind == "function-before" and _is_null_check(node, model):
            return self.without_null_check(node, model)
        if kind == "function-wrap":
            fast = fast_temporal(node)
            if fast is not None:
                return fast
        out = {}
        for key, value in node.items():
            if key in ("serialization", "metadata", "ref"):
                continue  # validation only; the definition gets its own ref
            if kind == "model-fields" and key == "fields":
                lists = {name for _, name in _complex_lists(model)}
                value = {
                    name: self.rewrite(schema, model, name if name in lists else None)
                    for name, schema in value.items()
                }
                out[key] = value
                continue
            out[key] = self.rewrite(value, model, field)
        if kind == "model":
            config = out.get("config") or {}
            if out.get("cls") is not model or out.get("root_model"):
                raise _Unsupported(model)
            if config.get("extra_fields_behavior") != "forbid":
                raise _Unsupported(model)  # the resourceType refusal above relies on it
            out["custom_init"] = False  # its __init__: see `model_validate`
        return out

    def element(self, model: type[FHIRAbstractModel], *, nullable: bool) -> dict[str, Any]:
        """For a dict: the element's model (no custom __init__, which would only pop and check
        a resourceType key: such a dict is refused here as an extra key and goes the shipped
        way). For null: null, as the wrap validator returns it, except in a list the null check
        covers (it would refuse it)."""
        schema = core_schema.chain_schema(
            [
                core_schema.is_instance_schema(dict),  # as `fhir_model_validator`'s test
                core_schema.definition_reference_schema(self.ref(model)),
            ]
        )
        return core_schema.nullable_schema(schema) if nullable else schema

    def without_null_check(self, node: dict[str, Any], model: type[FHIRAbstractModel]) -> Any:
        """The null check refuses a null in a list of complex elements. When every such list
        of `model` refuses a null item here already, the check can never fail: left out."""
        inner = self.rewrite(node["schema"], model)
        covered = self.non_null_lists.get(model, set())
        if covered == {name for _, name in _complex_lists(model)}:
            return inner
        return {**_own_keys(node), "schema": inner}


def _own_keys(node: dict[str, Any]) -> dict[str, Any]:
    """`node`'s own settings, for a validator (no serialisation, metadata or ref)."""
    return {k: v for k, v in node.items() if k not in ("serialization", "metadata", "ref")}


def _no_after_checks(node: dict[str, Any], model: type[FHIRAbstractModel]) -> bool:
    """`node` is the after-validator of `model`, which has nothing to check: no required
    primitive element, no choice element (then it only returns the model)."""
    function = node["function"].get("function")
    if function not in (validate_after_model_construction, ORIGINAL_AFTER):
        return False
    return _after_facts(model.model_construct()) == ((), ())


def _is_null_check(node: dict[str, Any], model: type[FHIRAbstractModel]) -> bool:
    function = node["function"].get("function")
    return getattr(function, "__self__", None) is model and getattr(function, "__func__", None) in (
        reject_null_complex_elements,
        ORIGINAL_REJECT_NULL.__func__,
    )


def fast_validator(model: type[FHIRAbstractModel]) -> SchemaValidator | None:
    """The one-pass validator of `model`, built on first need, or None (as shipped)."""
    if model in _FAST:
        return _FAST[model]
    validator: SchemaValidator | None = None
    if _plain_fhir_model(model):
        try:
            builder = _Builder()
            root = builder.ref(model)
            validator = SchemaValidator(
                core_schema.definitions_schema(
                    core_schema.definition_reference_schema(root),
                    list(builder.definitions.values()),
                )
            )
        except _Unsupported:
            validator = None
    _FAST[model] = validator
    return validator


def model_validate(cls: type[FHIRAbstractModel], obj: Any, **options: Any) -> Any:
    """As `BaseModel.model_validate` (the shipped one, through the custom __init__)."""
    if type(obj) is dict and not any(value is not None for value in options.values()):
        validator = _FAST.get(cls, _MISSING)
        if validator is _MISSING:
            validator = fast_validator(cls)
        if validator is not None:
            data = obj
            if "resourceType" in obj:
                # the custom __init__ pops it and checks it names this class
                if obj["resourceType"] != cls.__resource_type__:
                    return _ORIGINAL_VALIDATE(cls, obj, **options)
                data = {k: v for k, v in obj.items() if k != "resourceType"}
            if "resource_type" not in data:
                try:
                    return validator.validate_python(data)
                except Exception:  # any: the shipped path decides, and says why
                    pass
    return _ORIGINAL_VALIDATE(cls, obj, **options)


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
