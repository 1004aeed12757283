"""Interoperability with an independent CDS client: healthchain's SandboxClient (PyPI) builds
patient-view requests with its own models, sends them to the service process, and the cards it
receives must parse in healthchain's own CDS Hooks response models.

SandboxClient cannot sign its calls, so it talks to a second service process started with the
development switch PANNET_CDS_AUTH=off."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from healthchain.models import CDSResponse
from healthchain.sandbox import SandboxClient
from healthchain.sandbox.requestconstructors import CdsRequestConstructor
from healthchain.sandbox.workflows import Workflow

from tests.support.cds_calls import SERVICE_IDS, case_resources, prefetch_for
from tests.support.service_process import ServiceProcess, unsigned_service_env

pytestmark = pytest.mark.e2e

CASES = ("p01", "p02", "p03", "p04")


@pytest.fixture(scope="module")
def open_service(tmp_path_factory) -> Iterator[ServiceProcess]:
    workdir = tmp_path_factory.mktemp("cds-service-auth-off")
    with ServiceProcess(workdir, unsigned_service_env(workdir)) as process:
        yield process


@pytest.fixture(scope="module")
def responses(open_service) -> list[dict[str, Any]]:
    client = SandboxClient(
        url=open_service.url(f"/cds-services/{SERVICE_IDS['patient-view']}"),
        workflow="patient-view",
        timeout=30,
    )
    constructor = CdsRequestConstructor()
    for case in CASES:
        # healthchain's own request model and context validation; only the ids are ours
        client.requests.append(
            constructor.construct_request(
                prefetch_data=prefetch_for(case_resources(case)),
                workflow=Workflow.patient_view,
                context={"userId": "Practitioner/dr-1", "patientId": case},
            )
        )
    return client.send_requests()


def test_development_switch_is_announced_in_the_log(open_service):
    assert "PANNET_CDS_AUTH=off" in open_service.log_text()


def test_every_request_is_answered(responses):
    # SandboxClient turns an HTTP error into {} and an unparseable answer into the raw dict
    assert len(responses) == len(CASES)
    assert all(response.get("cards") for response in responses), responses


@pytest.mark.parametrize("index", range(len(CASES)))
def test_cards_parse_in_healthchains_response_models(responses, index):
    parsed = CDSResponse.model_validate(responses[index])
    card = parsed.cards[0]
    assert card.indicator.value in {"info", "warning", "critical"}
    assert card.source.topic is not None and card.source.topic.code
    assert {link.type.value for link in card.links or []} == {"smart", "absolute"}
    for suggestion in card.suggestions or []:
        assert suggestion.isRecommended is False
        assert suggestion.actions
        for action in suggestion.actions:
            assert action.type.value == "create"
            assert action.resource["resourceType"] in {"ServiceRequest", "CarePlan"}


def test_incomplete_record_reaches_the_client_as_such(responses):
    p04 = CDSResponse.model_validate(responses[CASES.index("p04")])
    assert "incomplete data" in p04.cards[0].summary
