"""`model_json` (cards/wire.py): the JSON orjson writes from the models' state is the JSON of
pydantic's dump, byte for byte, for every assessment the demo patients and the corpus give; a
model whose dump is not its state is dumped by pydantic; the response encoder copies `JsonText`
in as it is and the stdlib path writes the value it holds."""

from __future__ import annotations

import datetime
import json

import orjson
import pytest
from flask import Flask
from pydantic import BaseModel, ConfigDict, Field, field_serializer

from cds_service.blueprints.response_json import OrjsonProvider, fast_dumps
from cds_service.cards.wire import JsonText, model_json
from scoring.assessment import Assessment
from tests.cards_demo import corpus_assessments, demo_assessments


def _assessments() -> list[Assessment]:
    out = []
    for today in (datetime.date(2026, 12, 1), datetime.date(2020, 1, 1), datetime.date(2024, 6, 1)):
        out += [*demo_assessments(today).values(), *corpus_assessments(today).values()]
    return out


def _reference(model: BaseModel) -> bytes:
    return orjson.dumps(model.model_dump(mode="json"))


def test_assessment_json_is_the_json_of_its_dump() -> None:
    assessments = _assessments()
    assert len(assessments) > 50
    for assessment in assessments:
        written = model_json(assessment)
        assert type(written) is JsonText
        assert written.json == _reference(assessment)
        assert written.value() == assessment.model_dump(mode="json")
        # a copy with an edited field (as the hook adds the fetch warnings) keeps its order
        copy = assessment.model_copy(update={"warnings": [*assessment.warnings, "ü </x>"]})
        assert model_json(copy).json == _reference(copy)  # type: ignore[union-attr]


class _Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n: int | float | str | None = None


class _Aliased(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True)
    value: int = Field(alias="theValue")


class _Serialised(BaseModel):
    value: int

    @field_serializer("value")
    def _double(self, value: int) -> int:
        return 2 * value


class _Dated(BaseModel):
    when: datetime.date


class _Outer(BaseModel):
    inner: list[_Inner]
    other: BaseModel | None = None


class _Plain(BaseModel):
    inner: list[_Inner]
    when: str | None = None


@pytest.mark.parametrize(
    "model",
    [
        _Aliased(theValue=1),
        _Serialised(value=1),
        _Dated(when=datetime.date(2026, 3, 1)),
        _Outer(inner=[_Inner(n=2**70)]),
        _Outer(inner=[], other=_Serialised(value=3)),
        # declared as BaseModel: pydantic dumps the fields BaseModel declares (none)
        _Outer(inner=[], other=_Inner(n=1)),
    ],
)
def test_a_model_whose_dump_is_not_its_state_is_dumped_by_pydantic(model: BaseModel) -> None:
    assert model_json(model) == model.model_dump(mode="json")


def test_plain_models_are_written_from_their_state() -> None:
    model = _Plain(inner=[_Inner(n=1), _Inner(n=2.5), _Inner(n="—"), _Inner()], when="x")
    written = model_json(model)
    assert type(written) is JsonText and written.json == _reference(model)


def test_the_response_copies_json_text_in_and_the_stdlib_path_writes_its_value() -> None:
    value = {"cards": [{"extension": {"k": JsonText(b'{"a":[1,2.5,null,"\xc3\xbc"]}')}}]}
    assert fast_dumps(value) == '{"cards":[{"extension":{"k":{"a":[1,2.5,null,"ü"]}}}]}'.encode()
    provider = OrjsonProvider(Flask(__name__))
    expected = {"cards": [{"extension": {"k": {"a": [1, 2.5, None, "ü"]}}}]}
    assert json.loads(provider.dumps(value)) == expected
