"""`configure_logging` switches off the LogRecord fields neither log format writes (thread,
process, calling file and line): no format may name them, and the JSON line must not read them."""

from __future__ import annotations

import logging
import re

import pytest

from cds_service.observability import logs
from cds_service.observability.logs import (
    GUNICORN_TEXT_FORMAT,
    TEXT_FORMAT,
    UNFILLED_ATTRIBUTES,
    JsonFormatter,
    configure_logging,
)


@pytest.fixture
def restore_logging():
    saved = {name: getattr(logging, name) for name in logs._UNWRITTEN_RECORD_FIELDS}
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for name, value in saved.items():
        setattr(logging, name, value)
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_configuring_turns_the_lookups_off(restore_logging, log_format):
    configure_logging(log_format)
    assert logging.logThreads is False and logging.logProcesses is False
    assert logging.logMultiprocessing is False and logging._srcfile is None
    record = logging.LogRecord("x", logging.INFO, "f.py", 1, "m", None, None)
    assert record.thread is None and record.process is None


@pytest.mark.parametrize("fmt", [TEXT_FORMAT, GUNICORN_TEXT_FORMAT])
def test_no_text_format_names_an_unfilled_attribute(fmt):
    named = set(re.findall(r"%\((\w+)\)", fmt))
    assert named and not named & set(UNFILLED_ATTRIBUTES)


def test_the_json_formatter_reads_none_of_them():
    formatter = JsonFormatter()

    def line(value: object) -> str:
        record = logging.LogRecord("cds_service.access", logging.INFO, "f.py", 7, "m", None, None)
        record.created = 1_700_000_000.25
        for name in UNFILLED_ATTRIBUTES:
            setattr(record, name, value)
        return formatter.format(record)

    assert line(None) == line("SENTINEL-42")
    assert "SENTINEL" not in line("SENTINEL-42")
