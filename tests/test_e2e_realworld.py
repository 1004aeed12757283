"""The real-world corpus end to end: every patient loaded into a real FHIR server (sekmet-fhir),
then the service process called like an EHR calls it, on chart open (patient-view) and, for patients
with a pathology report, at pathology sign-off:

- with no prefetch: the service runs its own queries against the FHIR server;
- with what the discovery document's prefetch templates return: we run each template against the
  same server, as an EHR that follows them would, and send the results as prefetch.

Either way the assessment on the card (or the absence of a card) must be the one the whole record
gives through `assess_payload`, and that one must be the patient's expected assessment. Cases that
wait for a mapper change are the strict xfails of `PENDING` in tests/test_realworld_corpus.py.
"""

from __future__ import annotations

import functools
import json
from datetime import date
from typing import Any

import pytest
import requests

from cds_service.cards.policy import HookKind, should_show_card
from cds_service.hooks.prefetch import render_template
from cds_service.hooks.services import service_definitions
from cds_service.scoring_pipeline import assess_payload
from fhir_mappers.errors import FhirInputError
from scoring.assessment import Assessment
from tests.support.cds_calls import SERVICE_IDS, request_body
from tests.support.fhir_load import load_bundle, search_all
from tests.support.realworld import CASES, expected_of, load_bundle_of
from tests.test_realworld_corpus import assessment_problems, corpus_param

pytestmark = pytest.mark.e2e

ASSESSMENT_KEY = "org.pannet-cds.assessment"
ACCESS_TOKEN = "e2e-access-token-not-checked"  # sekmet-fhir does not check it
MODES = ("fetch", "template-prefetch")
HOOK_KINDS = {"patient-view": HookKind.PATIENT_VIEW, "pathology": HookKind.PATHOLOGY_SIGN}


def own_report(case: str) -> dict[str, Any] | None:
    """The patient's own DiagnosticReport: what the pathologist signs at sign-off."""
    entries = load_bundle_of(case)["entry"]
    return next(
        (e["resource"] for e in entries if e["resource"]["resourceType"] == "DiagnosticReport"),
        None,
    )


# Records no prefetch template can reach, by design: a pathology report with neither a category
# nor a code cannot be told from any other report by a FHIR search (README: what is not read).
NOT_REACHED_BY_TEMPLATES = {
    "rw25": "report, diagnosis and values carry only text: no search finds the report",
}
E2E_CASES = [case for case in CASES if case not in NOT_REACHED_BY_TEMPLATES]
CALLS = [(case, "patient-view") for case in E2E_CASES] + [
    (case, "pathology") for case in E2E_CASES if own_report(case) is not None
]


@pytest.fixture(scope="module")
def corpus_server(fhir_server) -> str:
    """Every corpus patient stored in the FHIR server (ids all start with `rw`)."""
    for case in E2E_CASES:
        load_bundle(fhir_server.base_url, load_bundle_of(case))
    return fhir_server.base_url


def whole_record(case: str) -> tuple[Assessment | None, str | None]:
    """The assessment of the whole Bundle, or the error that refused it."""
    try:
        return assess_payload(load_bundle_of(case), today=date.today()), None
    except FhirInputError as exc:
        return None, str(exc)


def template_prefetch(base_url: str, case: str) -> dict[str, Any]:
    """Each discovery template rendered for this patient and run against the server, as an EHR
    that follows the templates sends it (included resources kept, every page read)."""
    definition = service_definitions()[SERVICE_IDS["patient-view"]]
    prefetch: dict[str, Any] = {}
    for key, spec in definition.prefetch.items():
        query = render_template(spec.template, {"context.patientId": case})
        assert query is not None
        if spec.is_read:
            response = requests.get(
                f"{base_url}/{query}", headers={"Accept": "application/fhir+json"}, timeout=30
            )
            assert response.status_code == 200, (query, response.text[:300])
            prefetch[key] = response.json()
            continue
        found = search_all(base_url, query, modes=("match", "include"))
        prefetch[key] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(found),
            "entry": [{"resource": r} for r in found],
        }
    return prefetch


@pytest.fixture(scope="module")
def call(cds_process, corpus_server):
    """call(case, hook, mode) -> (status, body); each distinct call made once."""

    @functools.cache
    def _call(case: str, hook: str, mode: str) -> tuple[int, Any]:
        extra: dict[str, Any] = {}
        if hook == "pathology":
            extra["diagnosticReport"] = own_report(case)
        if mode == "fetch":
            body = request_body(
                hook, case, fhir_server=corpus_server, access_token=ACCESS_TOKEN, **extra
            )
        else:
            body = request_body(
                hook, case, prefetch=template_prefetch(corpus_server, case), **extra
            )
        response = cds_process.post(f"/cds-services/{SERVICE_IDS[hook]}", body)
        if "json" not in response.headers.get("Content-Type", ""):
            return response.status_code, response.text[:2000]
        return response.status_code, response.json()

    return _call


def answer_problems(status: int, answer: Any, hook: str, expected: Assessment) -> list[str]:
    """How the hook's answer differs from what the whole record gives."""
    if status != 200:
        return [f"HTTP {status}: {str(answer)[:500]}"]
    cards = answer["cards"]
    want_card = should_show_card(HOOK_KINDS[hook], expected)
    if len(cards) > 1:
        return [f"{len(cards)} cards, expected one at most"]
    if not cards:
        return [] if not want_card else ["no card, but the whole record gives an actionable one"]
    if not want_card:
        return [f"a card ({cards[0].get('summary')!r}) the whole record does not give"]
    got = cards[0].get("extension", {}).get(ASSESSMENT_KEY)
    if got is None:
        return ["the card carries no assessment extension"]
    want = json.loads(expected.model_dump_json())
    # Warnings are listed in the order the resources arrived, and a FHIR server returns them in
    # its own order: the same warnings in another order are the same assessment.
    got = {**got, "warnings": sorted(got.get("warnings", []))}
    want["warnings"] = sorted(want["warnings"])
    return [
        f"{field}: hook {got.get(field)!r} != whole record {want[field]!r}"
        for field in want
        if got.get(field) != want[field]
    ]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("case", "hook"),
    [
        pytest.param(
            *corpus_param(case).values, hook, marks=corpus_param(case).marks, id=f"{case}-{hook}"
        )
        for case, hook in CALLS
    ],
)
def test_hook_answer_equals_the_whole_record_and_its_expectation(call, case, hook, mode):
    expected, refused = whole_record(case)
    assert refused is None, f"{case}: the whole record is refused: {refused}"
    assert expected is not None
    differences = answer_problems(*call(case, hook, mode), hook, expected)
    assert differences == [], f"{case} {hook} {mode}: the hook's answer differs from the record's"
    problems = assessment_problems(json.loads(expected.model_dump_json()), expected_of(case))
    assert problems == [], f"{case}: {expected_of(case)['title']}"
