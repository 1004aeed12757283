"""The kept children of the request-duration histogram (observability/metrics.py) are the ones
`labels()` gives, so observations land in the same series."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from cds_service.observability.metrics import Metrics


def test_a_kept_child_is_the_labelled_child():
    metrics = Metrics(CollectorRegistry())
    first = metrics.request_duration("hooks.call_service", "svc", "patient-view", "200")
    assert first is metrics.requests.labels("hooks.call_service", "svc", "patient-view", "200")
    assert metrics.request_duration("hooks.call_service", "svc", "patient-view", "200") is first
    other = metrics.request_duration("hooks.call_service", "svc", "patient-view", "400")
    assert other is not first
    first.observe(0.004)
    count = metrics.registry.get_sample_value(
        "pannet_cds_request_duration_seconds_count",
        {
            "endpoint": "hooks.call_service",
            "service": "svc",
            "hook": "patient-view",
            "status": "200",
        },
    )
    assert count == 1
