"""Structured logs: one JSON object per line, correlated by the CDS call's `hookInstance`.

Messages in this code base carry resource ids at most, never tokens or clinical values; as a
second line of defence the formatter masks anything shaped like a bearer token or a JWT before
it is written. `PANNET_CDS_LOG_FORMAT=text` keeps plain lines for a developer's terminal.
"""

from __future__ import annotations

import json
import logging
import math
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any, Literal

LogFormat = Literal["json", "text"]

_hook_instance: ContextVar[str | None] = ContextVar("pannet_cds_hook_instance", default=None)

_SECRETS = (
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer [redacted]"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), "[redacted-jwt]"),
    (
        re.compile(
            r"(?i)(access_token|id_token|refresh_token)([\"']?\s*[:=]\s*[\"']?)[^\"'\s,&}]+"
        ),
        r"\1\2[redacted]",
    ),
)
# Attributes every LogRecord has; anything else came in through `extra=` and is emitted.
_RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "hook_instance",
}


# Each pattern above needs one of these (case-folded): text without them is left as it is.
_SECRET_MARKS = ("bearer", "eyj", "_token")
# What `format` writes as it is (bool is an int); anything else as redacted text.
_NUMBERS = (int, float)
# One encoder for every line (json.dumps with an option builds a new one per call).
_ENCODER = json.JSONEncoder(ensure_ascii=False)
# The C encoder `_ENCODER.encode` builds anew for every line, built once: a line is a flat
# object of strings and numbers, so it needs no check for circular references (`markers`).
_encode_line = (
    None
    if c_make_encoder is None
    else c_make_encoder(
        None,
        _ENCODER.default,
        encode_basestring,
        None,
        _ENCODER.key_separator,
        _ENCODER.item_separator,
        False,
        False,
        True,
    )
)


# The last second `_iso_time` wrote, and its date and time of day: lines come many a second.
_last_second: tuple[int, str] = (-1, "")


def _iso_time(created: float) -> str:
    """`datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")`, with the date
    and time of day worked out once per second. The microseconds are rounded as `fromtimestamp`
    rounds them (half to even, a carry into the next second), then cut to milliseconds as
    `isoformat` cuts them (tests/test_logs_line_encoder.py compares the two)."""
    global _last_second
    fraction, whole = math.modf(created)
    micro = round(fraction * 1e6)
    if micro >= 1_000_000:
        whole += 1.0
        micro -= 1_000_000
    elif micro < 0:
        whole -= 1.0
        micro += 1_000_000
    second = int(whole)
    cached, prefix = _last_second
    if cached != second:
        prefix = datetime.fromtimestamp(second, UTC).isoformat()[:19]
        _last_second = (second, prefix)
    return f"{prefix}.{micro // 1000:03d}+00:00"


def redact(text: str) -> str:
    if not _has_secret_mark(text.lower()):
        return text
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def _has_secret_mark(folded: str) -> bool:
    # `any(mark in folded for mark in _SECRET_MARKS)` spelled out: the generator cost three times
    # the three searches, and every string field of every log line passes here.
    # tests/test_logs_redact.py checks this is that expression.
    return "bearer" in folded or "eyj" in folded or "_token" in folded


def bind_hook_instance(hook_instance: str | None) -> None:
    """Tag every later log line of this request (this thread's context) with `hook_instance`."""
    _hook_instance.set(hook_instance)


def current_hook_instance() -> str | None:
    return _hook_instance.get()


class HookInstanceFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.hook_instance = _hook_instance.get()
        return True


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", "hookInstance", ...extra}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _iso_time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        hook_instance = getattr(record, "hook_instance", None) or _hook_instance.get()
        if hook_instance:
            entry["hookInstance"] = hook_instance
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value if isinstance(value, _NUMBERS) else redact(str(value))
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        if _encode_line is None:
            return _ENCODER.encode(entry)
        return "".join(_encode_line(entry, 0))


class _OurHandler(logging.StreamHandler):
    """Marks the handler this module installed, so configuring twice replaces, not adds."""


def json_handler(stream: Any = None) -> logging.Handler:
    handler = _OurHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(HookInstanceFilter())
    return handler


# `PANNET_CDS_LOG_FORMAT=text`: the app's lines and gunicorn's own.
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(hook_instance)s] %(message)s"
GUNICORN_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

# What a LogRecord looks up for every line and neither format writes: the thread, the process
# and the calling function's file and line (a walk up the stack). The logging HOWTO's
# "Optimization" section names these switches; `configure_logging` turns them off (a quarter of
# a line's cost).
_UNWRITTEN_RECORD_FIELDS = {
    "logThreads": False,
    "logProcesses": False,
    "logMultiprocessing": False,
    "_srcfile": None,
}
# Record attributes those switches leave empty: a format naming one would need them back.
UNFILLED_ATTRIBUTES = (
    "thread",
    "threadName",
    "process",
    "processName",
    "pathname",
    "filename",
    "module",
    "funcName",
    "lineno",
)


def configure_logging(log_format: LogFormat = "json", level: int = logging.INFO) -> None:
    """Process-wide: the root logger writes JSON (or plain text) lines to stderr."""
    for name, value in _UNWRITTEN_RECORD_FIELDS.items():
        setattr(logging, name, value)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _OurHandler):
            root.removeHandler(handler)
    if log_format == "json":
        root.addHandler(json_handler())
    else:
        handler = _OurHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
        handler.addFilter(HookInstanceFilter())
        root.addHandler(handler)
    root.setLevel(level)


def gunicorn_logconfig(log_format: LogFormat) -> dict[str, Any]:
    """gunicorn's own log lines (start-up, worker exits) in the same format as the app's."""
    formatter = {"()": JsonFormatter} if log_format == "json" else {"format": GUNICORN_TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"pannet": formatter},
        "handlers": {
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "pannet",
                "stream": "ext://sys.stderr",
            },
        },
        # The app's own handler goes on the root logger in each worker (configure_logging).
        "root": {"level": "INFO", "handlers": []},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
        },
    }
