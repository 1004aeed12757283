"""The orjson paths (response bodies: cds_service/blueprints/response_json.py; JSON columns:
cds_service/db.py) against the stdlib paths they replace: the same values in the same key
order, bytes differing only in notation, and every value orjson would write otherwise written
the stdlib way, byte for byte."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import math
import uuid
from enum import StrEnum

import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

import cds_service.feedback.tables  # noqa: F401 - the whole schema
from cds_service.audit.records import AuditRecord
from cds_service.audit.store import read_audit, write_audit
from cds_service.blueprints.response_json import OrjsonProvider, fast_dumps
from cds_service.db import create_schema, json_text, make_engine
from cds_service.sandbox.patients import demo_patients
from tests.app_fixtures import build_signed_client
from tests.support.cds_calls import prefetch_for, request_body

# Floats the two libraries write alike (orjson 3.13): 0 and |x| >= 1e-4, shortest round-trip.
_SAME_NOTATION = st.floats(allow_nan=False, allow_infinity=False).filter(
    lambda x: x == 0 or abs(x) >= 1e-4
)
_SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text()
_JSON = st.recursive(
    _SCALARS | _SAME_NOTATION,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)
_ANY_FLOATS = st.recursive(
    _SCALARS | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


def _stdlib(value: object, *, ensure_ascii: bool = True) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=ensure_ascii).encode()


def _pairs(raw: bytes) -> object:
    return json.loads(raw, object_pairs_hook=list)


@settings(max_examples=400, deadline=None)
@given(_JSON)
def test_orjson_bytes_are_the_stdlibs_with_utf8_for_non_ascii(value):
    assert fast_dumps(value) == _stdlib(value, ensure_ascii=False)


@settings(max_examples=400, deadline=None)
@given(_ANY_FLOATS)
def test_any_finite_float_parses_back_the_same_in_the_same_key_order(value):
    fast = fast_dumps(value)
    assert fast is not None
    assert _pairs(fast) == _pairs(_stdlib(value))
    # and nothing but notation differs: re-encoded the stdlib way, the bytes are the stdlib's
    assert _stdlib(json.loads(fast)) == _stdlib(value)


def test_the_notation_differences_are_the_documented_ones():
    assert fast_dumps([1e-7, 1e-5, 1e16, "—≥²\x7f"]) == '[1e-7,0.00001,1e+16,"—≥²\x7f"]'.encode()
    assert (
        _stdlib([1e-7, 1e-5, 1e16, "—≥²\x7f"])
        == b'[1e-07,1e-05,1e+16,"\\u2014\\u2265\\u00b2\\u007f"]'
    )
    # not JSON from the stdlib; unreachable from a card (fhir_mappers/plausibility.py)
    assert fast_dumps([math.nan]) == b"[null]"


@dataclasses.dataclass
class _Point:
    x: int


class _Text(str):
    pass


class _Tier(StrEnum):
    HIGH = "high"


@pytest.mark.parametrize(
    "value",
    [
        {"when": datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)},
        [datetime.date(2026, 3, 1)],
        {"point": _Point(3)},
        [decimal.Decimal("1.50")],
        [Markup("<b>x</b>")],
        [_Text("sub")],
        {"big": 2**64},
        {1: "int key"},
        {"order": {"b": 1, "a": 2}, "ok": [1, 2.5, None]},
    ],
)
def test_values_orjson_writes_otherwise_take_the_stdlib_path(value):
    fast, slow = _responses(value)
    if fast_dumps(value) is None:
        assert fast == slow  # the stdlib's bytes, Flask's `default` included
    else:
        assert _pairs(fast) == _pairs(slow)


def test_enum_and_uuid_values_are_written_as_the_stdlib_writes_them():
    key = uuid.UUID("6f1c2d0e-8a4b-4c1e-9a53-2f7d7b1c0a11")
    fast, slow = _responses({"tier": _Tier.HIGH, "uuid": key})
    assert fast == slow


def test_other_provider_settings_fall_back_to_the_stdlib_provider():
    app = Flask(__name__)
    app.json = OrjsonProvider(app)
    app.json.sort_keys = True  # type: ignore[attr-defined]
    with app.app_context():
        body = app.json.response({"b": 1, "a": "é"}).get_data()
    assert body == b'{"a":"\\u00e9","b":1}\n'
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.debug = True
    with app.app_context():
        assert app.json.response({"b": 1}).get_data() == b'{\n  "b": 1\n}\n'


def _responses(value: object) -> tuple[bytes, bytes]:
    """The body jsonify gives with the orjson provider and with Flask's (keys unsorted)."""
    fast_app = Flask(__name__)
    fast_app.json = OrjsonProvider(fast_app)
    slow_app = Flask(__name__)
    slow_app.json = DefaultJSONProvider(slow_app)
    slow_app.json.sort_keys = False  # type: ignore[attr-defined]
    with fast_app.app_context():
        fast = fast_app.json.response(value)
    with slow_app.app_context():
        slow = slow_app.json.response(value)
    assert fast.mimetype == slow.mimetype == "application/json"
    return fast.get_data(), slow.get_data()


class _StdlibPath(OrjsonProvider):
    def _fast_applies(self) -> bool:
        return False


def test_hook_calls_send_the_values_flasks_provider_sent(tmp_path):
    (tmp_path / "fast").mkdir()
    (tmp_path / "slow").mkdir()
    fast_cds = build_signed_client(tmp_path / "fast")
    slow_cds = build_signed_client(tmp_path / "slow")
    # The stdlib path of the provider: Flask's provider, writing a card's extension (`JsonText`)
    # as the value it holds.
    slow_cds.app.json = _StdlibPath(slow_cds.app)
    for patient in demo_patients():
        resources = [entry["resource"] for entry in patient.bundle["entry"]]
        body = request_body("patient-view", patient.patient_id, prefetch=prefetch_for(resources))
        fast = fast_cds.post("/cds-services/pannet-cds-patient-view", body)
        slow = slow_cds.post("/cds-services/pannet-cds-patient-view", body)
        assert fast.status_code == slow.status_code == 200
        assert fast.headers["Content-Type"] == slow.headers["Content-Type"]
        assert _pairs(fast.get_data()) == _pairs(slow.get_data())
        assert _stdlib(json.loads(fast.get_data())) + b"\n" == slow.get_data()


# JSON columns (cds_service/db.py json_text): the stored text is orjson's, the value read back
# is the one `json.dumps` stored, in the same key order.


@settings(max_examples=400, deadline=None)
@given(_ANY_FLOATS)
def test_json_column_text_holds_the_value_json_dumps_stored(value):
    text = json_text(value)
    assert _pairs(text.encode()) == _pairs(json.dumps(value).encode())
    assert json.dumps(json.loads(text)) == json.dumps(value)


@pytest.mark.parametrize("value", [[_Text("sub")], {"big": 2**64}, {1: "int key"}])
def test_json_column_values_orjson_writes_otherwise_are_written_by_json_dumps(value):
    assert json_text(value) == json.dumps(value)


def test_an_audit_row_reads_back_as_written(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'audit.sqlite3'}")
    create_schema(engine)
    record = AuditRecord(
        recorded_at=datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC),
        service_id="s",
        hook="patient-view",
        hook_instance="h",
        patient_ref="Patient/p",
        assessed_on="2026-03-01",
        overall_tier=None,
        possible_tiers=["low", "intermediate"],
        in_scope=True,
        scope_code=None,
        score_versions=[],
        inputs=[{"id": "ki67", "value": 1e-7, "sources": ["Observation/ö—1"], "note": "≥ x"}],
        warnings=["Größe — nicht lesbar"],
        cards=[{"uuid": None, "indicator": "info", "summary": "Zusammenfassung ²"}],
    )
    write_audit(engine, record)
    (stored,) = read_audit(engine)
    assert stored.model_dump(exclude={"id"}) == record.model_dump(exclude={"id"})
