"""A server worker's Python warnings are logged by kind and place, never by their text (a
library's warning can quote the value it was handed, e.g. a report's words)."""

from __future__ import annotations

import json
import logging
import warnings

from cds_service import server
from cds_service.observability.logs import JsonFormatter
from cds_service.observability.warning_log import log_warning, route_warnings_to_log

PATIENT_WORDS = "Ki-67 index 12 % in the liver of Jane Roe"


def test_a_warning_is_logged_by_kind_and_place_without_its_text(caplog) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        route_warnings_to_log()
        with caplog.at_level(logging.WARNING, logger="py.warnings"):
            warnings.warn(f"the result {PATIENT_WORDS!r} was skipped", RuntimeWarning, stacklevel=1)
    (record,) = [r for r in caplog.records if r.name == "py.warnings"]
    line = JsonFormatter().format(record)
    assert "Ki-67" not in line and "Jane" not in line
    entry = json.loads(line)
    assert entry["level"] == "WARNING"
    assert entry["warning_category"] == "RuntimeWarning"
    assert entry["warning_at"].startswith(__file__ + ":")
    assert "RuntimeWarning" in entry["message"]


def test_each_worker_routes_its_warnings_before_it_warms_up(monkeypatch) -> None:
    seen: list[object] = []
    monkeypatch.setattr(server, "warm_up", lambda: seen.append(warnings.showwarning))
    monkeypatch.setattr(server, "settle_worker", lambda: None)
    with warnings.catch_warnings():
        server._post_worker_init(None)
        assert warnings.showwarning is log_warning
    assert seen == [log_warning]
