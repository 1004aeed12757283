"""The JSON log line's encoder, built once (`observability.logs._encode_line`), writes what
`json.JSONEncoder(ensure_ascii=False).encode` writes for the same entry."""

from __future__ import annotations

import json
import logging
import math
import random
import time
from datetime import UTC, datetime
from http import HTTPStatus

from cds_service.observability import logs
from cds_service.observability.logs import JsonFormatter


def _record(**extra: object) -> logging.LogRecord:
    record = logging.LogRecord(
        "cds_service.access", logging.INFO, __file__, 1, "%s é", ("x",), None
    )
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_the_line_is_what_the_stdlib_encoder_writes():
    record = _record(
        status=HTTPStatus.OK,
        durationMs=12.5,
        tiny=1e-7,
        big=1e22,
        nan=float("nan"),
        inf=float("-inf"),
        flag=True,
        text='quote " backslash \\ newline \n nul \x00 é \u2028',
        other=["not", "a", "string"],
    )
    record.hook_instance = "hook-1"
    line = JsonFormatter().format(record)
    assert logs._encode_line is not None
    assert line == json.JSONEncoder(ensure_ascii=False).encode(json.loads(line))
    entry = json.loads(line)
    assert (
        entry["status"] == 200
        and entry["flag"] is True
        and entry["other"] == "['not', 'a', 'string']"
    )


def test_without_the_c_encoder_the_line_is_the_same(monkeypatch):
    record = _record(status=200, durationMs=0.25, tier="high")
    fast = JsonFormatter().format(record)
    monkeypatch.setattr(logs, "_encode_line", None)
    assert JsonFormatter().format(record) == fast


def _reference_time(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")


def test_the_time_is_what_datetime_writes():
    rng = random.Random(3)
    now = time.time()
    stamps = [now + rng.uniform(-1e6, 1e6) for _ in range(50_000)]
    for second in (0, 1, 59, 946684799, 1700000000, int(now)):
        for fraction in (
            0.0,
            0.0004999,
            0.0005,
            0.9994999,
            0.9995,
            0.9999994,
            0.9999995,
            0.9999999,
        ):
            stamps.append(second + fraction)
            stamps.append(math.nextafter(second + fraction, math.inf))
            stamps.append(math.nextafter(second + fraction, -math.inf))
    stamps += [rng.randrange(0, 2**31) + rng.randrange(0, 10**6) / 1e6 for _ in range(20_000)]
    for created in stamps:
        assert logs._iso_time(created) == _reference_time(created), created
    record = _record()
    assert json.loads(JsonFormatter().format(record))["time"] == _reference_time(record.created)
