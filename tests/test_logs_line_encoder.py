"""The JSON log line's encoder, built once (`observability.logs._encode_line`), writes what
`json.JSONEncoder(ensure_ascii=False).encode` writes for the same entry."""

from __future__ import annotations

import json
import logging
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
