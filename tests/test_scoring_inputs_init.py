"""scoring.inputs' frozen dataclasses are built by an __init__ writing the instance dict
(`_dict_init`): it must build what the dataclass's own __init__ builds, for any call."""

from __future__ import annotations

import dataclasses
import inspect
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.inputs import (
    DATACLASS_INITS,
    ClinicalInputs,
    Fact,
    Grade,
    ImagingEvent,
    ImagingState,
    Resection,
)

CLASSES = (Fact, ClinicalInputs, ImagingEvent, Resection)


def _built_by(init: Any, cls: type, args: tuple, kwargs: dict) -> Any:
    obj = object.__new__(cls)
    init(obj, *args, **kwargs)
    return obj


def _same(cls: type, args: tuple = (), kwargs: dict | None = None) -> None:
    kwargs = kwargs or {}
    ours = cls(*args, **kwargs)
    theirs = _built_by(DATACLASS_INITS[cls], cls, args, kwargs)
    assert list(vars(ours).items()) == list(vars(theirs).items())  # values and dict order
    assert ours == theirs and repr(ours) == repr(theirs) and hash(ours) == hash(theirs)
    for name, value in vars(ours).items():
        assert type(value) is type(vars(theirs)[name])


def test_every_class_has_its_dataclass_init_kept() -> None:
    for cls in CLASSES:
        assert cls.__init__ is not DATACLASS_INITS[cls]
        ours = inspect.signature(cls.__init__).parameters
        theirs = inspect.signature(DATACLASS_INITS[cls]).parameters
        assert list(ours) == list(theirs)
        for name, param in ours.items():
            assert param.kind == theirs[name].kind
            if (
                theirs[name].default is not inspect.Parameter.empty
                and repr(theirs[name].default) != "<factory>"
            ):
                assert param.default is theirs[name].default


def test_defaults_and_factories() -> None:
    for cls in (Fact, ClinicalInputs):
        _same(cls)
    a, b = ClinicalInputs(), ClinicalInputs()
    assert a.sex is not b.sex  # a factory is called per instance, as before
    _same(Resection, (None, "Procedure/p"))
    _same(ImagingEvent, (date(2024, 1, 2), ImagingState.DONE, "ImagingStudy/i"))


def test_frozen_still() -> None:
    fact = Fact(1.0, ("Observation/o",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        fact.value = 2.0  # type: ignore[misc]
    assert dataclasses.replace(fact, note="n") == Fact(1.0, ("Observation/o",), "n")


def test_missing_or_unknown_argument_refused_alike() -> None:
    for args, kwargs in (((), {}), ((None,), {"bogus": 1}), ((None, "s", "x", "y"), {})):
        errors = []
        for init in (Resection.__init__, DATACLASS_INITS[Resection]):
            with pytest.raises(TypeError) as caught:
                init(object.__new__(Resection), *args, **kwargs)
            errors.append(type(caught.value))
        assert errors[0] is errors[1]


values = st.one_of(
    st.none(),
    st.floats(allow_nan=False),
    st.integers(),
    st.booleans(),
    st.text(max_size=5),
    st.sampled_from(list(Grade)),
)
facts = st.builds(
    Fact,
    values,
    st.tuples(st.text(max_size=4)),
    st.none() | st.text(max_size=4),
    st.none() | st.text(max_size=4),
)


@given(st.lists(values | st.tuples(st.text(max_size=3)), max_size=5))
def test_fact_positional(args: list) -> None:
    _same(Fact, tuple(args))


@given(st.dictionaries(st.sampled_from([f.name for f in dataclasses.fields(Fact)]), values))
def test_fact_keywords(kwargs: dict) -> None:
    _same(Fact, (), kwargs)


@given(
    st.dictionaries(
        st.sampled_from(
            [f.name for f in dataclasses.fields(ClinicalInputs) if f.type.startswith("Fact")]
        ),
        facts,
    ),
    st.none() | st.text(max_size=4),
    st.tuples(st.text(max_size=4)),
)
def test_inputs_keywords(kwargs: dict, patient: str | None, warnings: tuple) -> None:
    _same(ClinicalInputs, (), {**kwargs, "patient": patient, "warnings": warnings})
    _same(ClinicalInputs, (patient,), kwargs)
