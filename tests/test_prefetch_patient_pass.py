"""A search's patient check made in `read_prefetch`'s one pass over the entries gives what
reading first and checking after (`gather._check_patient`, as it was done) gives: the same
reading, or the same error, the entries' own errors first."""

from __future__ import annotations

import itertools

import pytest

from cds_service.hooks.gather import _check_patient
from cds_service.hooks.prefetch import read_prefetch
from cds_service.hooks.services import PrefetchTemplate

SEARCH = PrefetchTemplate("conditions", "Condition?patient={{context.patientId}}")
ENTRIES = {
    "mine": {"resource": {"resourceType": "Condition", "subject": {"reference": "Patient/p1"}}},
    "other": {"resource": {"resourceType": "Condition", "subject": {"reference": "Patient/p2"}}},
    "absolute": {
        "resource": {
            "resourceType": "Observation",
            "patient": {"reference": "https://x.example/fhir/Patient/p2/_history/3"},
        }
    },
    "patient": {"resource": {"resourceType": "Patient", "id": "p2"}},
    "nobody": {"resource": {"resourceType": "Condition"}},
    "outcome": {"resource": {"resourceType": "OperationOutcome"}},
    "untyped": {"resource": {"id": "x"}},
    "bare": 5,
}


def _outcome(call):
    try:
        reading = call()
    except ValueError as exc:
        return ("error", str(exc))
    return ("reading", reading)


def _two_passes(prefetch, patient_id):
    reading = read_prefetch(prefetch, SEARCH)
    if reading.state == "provided":
        _check_patient(reading.resources, SEARCH, patient_id)
    return reading


@pytest.mark.parametrize(
    "names",
    [combo for n in range(4) for combo in itertools.product(sorted(ENTRIES), repeat=n)],
)
def test_one_pass_is_the_two_passes(names):
    prefetch = {"conditions": {"resourceType": "Bundle", "entry": [ENTRIES[n] for n in names]}}
    one = _outcome(lambda: read_prefetch(prefetch, SEARCH, "p1"))
    assert one == _outcome(lambda: _two_passes(prefetch, "p1"))
