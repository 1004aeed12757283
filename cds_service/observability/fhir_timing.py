"""FHIR fetch latency and errors, measured at the transport: a wrapper around the HTTP session's
adapters, so the fetcher itself stays unaware of metrics.

What is timed is the time to the response headers (the fetcher streams bodies); the URL is
reduced to its resource type before it becomes a label, so no id or query reaches a metric.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import requests
from requests.adapters import BaseAdapter

from cds_service.observability.metrics import Metrics, resource_type_of


class TimedAdapter(BaseAdapter):
    """Delegates to `inner`; observes each request's outcome before passing it on unchanged."""

    def __init__(self, inner: BaseAdapter, metrics: Metrics) -> None:
        super().__init__()
        self._inner = inner
        self._metrics = metrics

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: object
    ) -> requests.Response:
        kind = resource_type_of(request.url or "")
        start = time.perf_counter()
        try:
            response = self._inner.send(request, **kwargs)  # type: ignore[arg-type]
        except requests.Timeout:
            self._observe(kind, "timeout", start, failed=True)
            raise
        except requests.ConnectionError:
            self._observe(kind, "connection", start, failed=True)
            raise
        except requests.RequestException:
            self._observe(kind, "error", start, failed=True)
            raise
        outcome = f"{response.status_code // 100}xx"
        self._observe(kind, outcome, start, failed=response.status_code != 200)
        return response

    def _observe(self, kind: str, outcome: str, start: float, *, failed: bool) -> None:
        self._metrics.fhir_fetch.labels(kind, outcome).observe(time.perf_counter() - start)
        if failed:
            self._metrics.fhir_fetch_errors.labels(kind, outcome).inc()

    def close(self) -> None:
        self._inner.close()


def instrument_session(session: requests.Session, metrics: Metrics) -> None:
    """Wrap every mounted adapter of `session` (once; wrapping twice is a no-op)."""
    adapters: Mapping[str, BaseAdapter] = dict(session.adapters)
    for prefix, adapter in adapters.items():
        if not isinstance(adapter, TimedAdapter):
            session.mount(prefix, TimedAdapter(adapter, metrics))
