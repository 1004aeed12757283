"""FastReadModel: the generic attribute lookup must answer exactly as pydantic's hook does."""

from __future__ import annotations

import platform

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.coding import Coding
from pydantic import BaseModel, ConfigDict, PrivateAttr

from cds_service.cards.models import Card
from cds_service.hooks.request import HookRequest
from cds_service.settings import Settings
from fhir_mappers import index  # noqa: F401 - installs it on the FHIR models, as the service does
from scoring.assessment import FactorResult, ScoreResult
from scoring.fast_reads import FastReadModel, has_generic_reads

needs_cpython = pytest.mark.skipif(
    platform.python_implementation() != "CPython", reason="the slot change is CPython-only"
)


def _sample(base: type[BaseModel]) -> type[BaseModel]:
    """The same model on `base`: pydantic's `BaseModel` (the reference) or `FastReadModel`."""

    class Sample(base):  # type: ignore[misc, valid-type]
        model_config = ConfigDict(extra="forbid", frozen=True)
        name: str
        count: int = 0

        @property
        def doubled(self) -> int:
            return self.count * 2

        @property
        def broken(self) -> int:
            raise AttributeError("broken on purpose")

    return Sample


_Plain = _sample(BaseModel)
_Fast = _sample(FastReadModel)


class _FastChild(_Fast):  # type: ignore[misc, valid-type]
    extra_field: str = "x"


class _WithPrivate(FastReadModel):
    name: str
    _cache: dict[str, int] = PrivateAttr(default_factory=dict)


class _AllowsExtra(FastReadModel):
    model_config = ConfigDict(extra="allow")
    name: str


class _OwnGetattr(FastReadModel):
    name: str

    def __getattr__(self, item: str) -> str:
        return f"computed {item}"


def _error(obj: object, name: str) -> str:
    with pytest.raises(AttributeError) as caught:
        getattr(obj, name)
    return str(caught.value)


@needs_cpython
def test_plain_subclasses_get_the_generic_lookup() -> None:
    assert has_generic_reads(_Fast)
    assert has_generic_reads(_FastChild)
    assert not has_generic_reads(_Plain), "a plain BaseModel keeps pydantic's hook"


@needs_cpython
@pytest.mark.parametrize("model", [FactorResult, ScoreResult, Card, HookRequest, Settings])
def test_the_project_models_use_it(model: type) -> None:
    assert has_generic_reads(model)


def test_reads_and_errors_equal_pydantics() -> None:
    plain, fast = _Plain(name="a", count=3), _Fast(name="a", count=3)
    for name in ("name", "count", "doubled", "model_fields_set", "model_dump"):
        left, right = getattr(plain, name), getattr(fast, name)
        if callable(left):
            assert left() == right()
        else:
            assert left == right
    for missing in ("nope", "_private", "__nope__"):
        assert _error(fast, missing) == _error(plain, missing)
    assert _error(fast, "broken") == _error(plain, "broken") == "broken on purpose"
    assert not hasattr(fast, "nope")
    assert getattr(fast, "nope", "default") == "default"


def test_a_subclass_of_a_changed_class_reads_its_own_fields() -> None:
    child = _FastChild(name="b", count=2, extra_field="y")
    assert (child.name, child.count, child.doubled, child.extra_field) == ("b", 2, 4, "y")
    assert _error(child, "nope") == "'_FastChild' object has no attribute 'nope'"


def test_frozen_and_forbid_still_hold() -> None:
    fast = _Fast(name="a")
    with pytest.raises(ValueError, match="frozen"):
        fast.name = "b"  # type: ignore[misc]
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        _Fast(name="a", other=1)  # type: ignore[call-arg]


def test_classes_that_need_the_hook_keep_it() -> None:
    assert not has_generic_reads(_WithPrivate)
    assert not has_generic_reads(_AllowsExtra)
    assert not has_generic_reads(_OwnGetattr)

    private = _WithPrivate(name="p")
    private._cache["k"] = 1
    assert private._cache == {"k": 1}
    extra = _AllowsExtra(name="e", colour="red")  # type: ignore[call-arg]
    assert extra.colour == "red"
    assert _error(extra, "size") == "'_AllowsExtra' object has no attribute 'size'"
    assert _OwnGetattr(name="o").anything == "computed anything"


@needs_cpython
def test_fhir_models_get_it_once_the_mappers_are_loaded() -> None:
    observation_class = get_fhir_model_class("Observation")
    assert has_generic_reads(observation_class)
    assert has_generic_reads(Coding)

    class _LaterSubclass(Coding):  # created after the install: through the base's hook
        pass

    assert has_generic_reads(_LaterSubclass)
    assert _LaterSubclass.model_validate({"code": "1"}).code == "1"


def test_fhir_model_reads_and_errors_are_unchanged() -> None:
    observation = get_fhir_model_class("Observation").model_validate(
        {"resourceType": "Observation", "status": "final", "code": {"text": "Ki-67"}}
    )
    assert (observation.status, observation.code.text, observation.valueQuantity) == (
        "final",
        "Ki-67",
        None,
    )
    assert _error(observation, "nope") == "'Observation' object has no attribute 'nope'"
    assert getattr(observation.code, "coding", "unset") is None
