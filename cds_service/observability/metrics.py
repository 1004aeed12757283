"""Prometheus metrics of one app (exposed at `GET /metrics`).

Multi-process choice: gunicorn runs several worker processes, each with its own counters, and a
scrape reaches only one of them. We use prometheus_client's multiprocess mode: every worker
writes its samples to memory-mapped files in `PROMETHEUS_MULTIPROC_DIR` and any worker
answering `/metrics` aggregates all of them (`MultiProcessCollector`). `pannet-cds serve`
creates that directory when it is not set (see `cds_service.server`) and removes a dead
worker's live files. Without the variable (tests, the Flask development server) the app's
own registry is exposed. The variable must be set before `prometheus_client` is imported, which
is why the server sets it before importing the app.

Label values are bounded: service ids and hooks come from the service definitions, statuses
and tiers are small fixed sets, FHIR resource types from an allowlist. No patient data, no ids.
"""

from __future__ import annotations

import os
import re
from typing import Any, TypeVar
from urllib.parse import urlsplit

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_Family = TypeVar("_Family", Counter, Histogram)

# Seconds; dense below 100 ms where the service's own latency target lies.
REQUEST_BUCKETS = (0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
FETCH_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.5, 5.0)

# Resource types the services read (the prefetch templates) plus the ones a hook may carry.
_RESOURCE_TYPES = frozenset(
    {
        "Patient",
        "Condition",
        "Observation",
        "Procedure",
        "ServiceRequest",
        "ImagingStudy",
        "DiagnosticReport",
        "MedicationRequest",
        "MedicationStatement",
        "Specimen",
        "Encounter",
    }
)
_TYPE_SEGMENT = re.compile(r"^[A-Z][A-Za-z]{1,63}$")


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def resource_type_of(url: str) -> str:
    """The FHIR resource type a read or search URL asks for, or "other" (bounded labels)."""
    segments = [s for s in urlsplit(url).path.split("/") if s]
    for segment in reversed(segments[-2:]):
        if _TYPE_SEGMENT.match(segment):
            return segment if segment in _RESOURCE_TYPES else "other"
    return "other"


def tier_label(tier: object) -> str:
    # "none": no tier stated (incomplete data or out of scope) — never read as "low".
    return "none" if tier is None else str(getattr(tier, "value", tier))


class Metrics:
    """The app's metric families, registered on the app's own registry (not the global one, so
    several apps in one test process do not collide)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Histogram(
            "pannet_cds_request_duration_seconds",
            "HTTP request latency by endpoint, CDS service, hook and status code",
            ["endpoint", "service", "hook", "status"],
            buckets=REQUEST_BUCKETS,
            registry=r,
        )
        self.fhir_fetch = Histogram(
            "pannet_cds_fhir_fetch_duration_seconds",
            "Time to the response headers of a FHIR server request, by resource type and outcome",
            ["resource_type", "outcome"],
            buckets=FETCH_BUCKETS,
            registry=r,
        )
        self.fhir_fetch_errors = Counter(
            "pannet_cds_fhir_fetch_errors_total",
            "FHIR server requests that failed (non-200 status, timeout, connection error)",
            ["resource_type", "reason"],
            registry=r,
        )
        self.assessments = Counter(
            "pannet_cds_assessments_total",
            "Assessments made by hook calls, by service, hook and overall tier",
            ["service", "hook", "tier"],
            registry=r,
        )
        self.cards = Counter(
            "pannet_cds_cards_total",
            "Cards returned, by service, tier stated and indicator",
            ["service", "tier", "indicator"],
            registry=r,
        )
        # Children of the families above, kept after their first use: `labels()` checks and
        # converts its arguments and takes a lock on every call. Every label value is bounded
        # (endpoints, service ids and hooks from the definitions, status codes, tiers,
        # indicators), so these stay small.
        self._request_children: dict[tuple[str, str, str, str], Histogram] = {}
        self._assessment_children: dict[tuple[str, str, str], Counter] = {}
        self._card_children: dict[tuple[str, str, str], Counter] = {}
        self.feedback = Counter(
            "pannet_cds_feedback_total",
            "Feedback entries received and stored (a re-sent entry counts again), by outcome",
            ["service", "outcome"],
            registry=r,
        )

    def request_duration(self, endpoint: str, service: str, hook: str, status: str) -> Histogram:
        """The child of `requests` for these labels (kept, see `__init__`)."""
        return _child(self.requests, self._request_children, (endpoint, service, hook, status))

    def assessment_count(self, service: str, hook: str, tier: str) -> Counter:
        """The child of `assessments` for these labels (kept, see `__init__`)."""
        return _child(self.assessments, self._assessment_children, (service, hook, tier))

    def card_count(self, service: str, tier: str, indicator: str) -> Counter:
        """The child of `cards` for these labels (kept, see `__init__`)."""
        return _child(self.cards, self._card_children, (service, tier, indicator))

    def exposition(self) -> tuple[bytes, str]:
        """The text format of every sample: of all gunicorn workers in multiprocess mode."""
        path = multiprocess_dir()
        if path is None:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=path)
        return generate_latest(registry), CONTENT_TYPE_LATEST


def _child(family: _Family, kept: dict[Any, _Family], key: tuple[str, ...]) -> _Family:
    """`family.labels(*key)`, made once per key and kept in `kept`."""
    child = kept.get(key)
    if child is None:
        child = kept[key] = family.labels(*key)
    return child
