"""The request body's orjson fast path (`request_body._orjson_value`) against json.loads: what it
reads, json.loads reads to the same value (types and float bits too); the rest it leaves to
json.loads, so error messages stay json.loads's."""

from __future__ import annotations

import json
import math
import random
import struct

import pytest

from cds_service.blueprints.request_body import _NOT_READ, _orjson_value
from cds_service.sandbox.patients import demo_patients
from tests.support.cds_calls import prefetch_for, request_body


def _same(a: object, b: object) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _agrees(raw: bytes) -> bool:
    """True when the fast path declines `raw` or reads it as json.loads does."""
    value = _orjson_value(raw)
    if value is _NOT_READ:
        return True
    return _same(value, json.loads(raw))


def _numbers(rng: random.Random, count: int) -> list[bytes]:
    out = []
    for _ in range(count):
        kind = rng.randrange(4)
        if kind == 0:
            x = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
            text = repr(x) if math.isfinite(x) else "1"
        elif kind == 1:
            mantissa = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 18)))
            text = f"{mantissa.lstrip('0') or '0'}.{mantissa}e{rng.randint(-340, 310)}"
        elif kind == 2:
            x = abs(struct.unpack("<d", struct.pack("<Q", rng.getrandbits(63)))[0]) or 1.0
            text = f"{x:.16e}".replace("e", "5e")  # 18 significant digits, near a halfway point
        else:
            text = str(rng.randint(-(2**63), 2**64 - 1))
        out.append(text.encode())
    return out


def test_numbers_read_as_json_reads_them():
    rng = random.Random(13)
    assert all(_agrees(raw) for raw in _numbers(rng, 20_000))


def test_odd_bytes_read_as_json_reads_them_or_not_at_all():
    rng = random.Random(5)
    alphabet = [*b' \t\n\r\x0c{}[]":,01-+.eEtrufalsn\\/u\x00\x1f', 0xC3, 0xA9, 0xED, 0xA0]
    for _ in range(20_000):
        raw = bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        assert _agrees(raw), raw


@pytest.mark.parametrize(
    "raw",
    [
        b"18446744073709551616",  # past 64 bits: orjson would give a float
        b"-9223372036854775809",
        b'{"a": [1, 12345678901234567890]}',
        b"[" * 600 + b"]" * 600,  # json.loads may refuse this depth, orjson reads it
        b'{"a":' * 600 + b"1" + b"}" * 600,
        b'{"a": NaN}',
        b'"\\ud800"',
        b"\xef\xbb\xbf{}",
        '{"a": 1}'.encode("utf-16"),
        b'{"a": 1',
    ],
)
def test_what_json_loads_must_decide_is_left_to_it(raw):
    assert _orjson_value(raw) is _NOT_READ


def test_a_hook_call_is_read_by_orjson_to_the_same_value():
    for patient in demo_patients():
        resources = [entry["resource"] for entry in patient.bundle["entry"]]
        body = request_body("patient-view", patient.patient_id, prefetch=prefetch_for(resources))
        raw = json.dumps(body).encode()
        value = _orjson_value(raw)
        assert value is not _NOT_READ
        assert _same(value, json.loads(raw))
