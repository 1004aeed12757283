"""The app's direct answer to simple CORS requests (cds_service/app.py) against flask_cors's own
after-request function, which it short-cuts: the same status, headers and body for every kind of
request, preflights and paths outside `/cds-services` included."""

from __future__ import annotations

import itertools

import pytest

import cds_service.app as app_module
from cds_service.app import create_app
from cds_service.settings import Settings

PATHS = [
    "/cds-services",
    "/cds-services/pannet-cds-patient-view",
    "/cds-services/pannet-cds-patient-view/feedback",
    "/cds-services/nope",
    "/cds-servicesX",
    "/cds-service",
    "/CDS-services",
    "/%2563ds-services",
    "/x/cds-services",
    "/healthz",
    "/nope",
]
METHODS = ["GET", "POST", "OPTIONS", "PUT"]
HEADER_SETS = [
    {},
    {"Origin": "https://ehr.example"},
    {
        "Origin": "https://ehr.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    },
    {"Origin": "https://ehr.example", "Access-Control-Request-Method": "DELETE"},
    {"Origin": "null", "Access-Control-Request-Private-Network": "true"},
]


@pytest.fixture(scope="module")
def apps(tmp_path_factory, monkeypatch_module):
    def build(name: str):
        return create_app(
            Settings(
                auth_enabled=False,
                database_url=f"sqlite:///{tmp_path_factory.mktemp(name) / 'cds.sqlite3'}",
            )
        )

    fast = build("fast")
    monkeypatch_module.setattr(app_module, "_answer_simple_cors_directly", lambda app: None)
    reference = build("reference")
    return fast, reference


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _answer(app, method: str, path: str, headers: dict[str, str]):
    body = b'{"hook": "patient-view"}' if method in ("POST", "PUT") else None
    all_headers = {**headers}
    if body is not None:
        all_headers["Content-Type"] = "application/json"
    response = app.test_client().open(path, method=method, data=body, headers=all_headers)
    # Allow lists a set of methods, in any order
    listed = [
        (k, ", ".join(sorted(v.split(", "))) if k == "Allow" else v)
        for k, v in response.headers.items()
    ]
    return response.status_code, listed, response.get_data()


@pytest.mark.parametrize(
    ("method", "path", "headers"), list(itertools.product(METHODS, PATHS, HEADER_SETS))
)
def test_every_request_gets_flask_cors_headers(apps, method, path, headers):
    fast, reference = apps
    assert _answer(fast, method, path, headers) == _answer(reference, method, path, headers)


def test_the_direct_answer_is_taken_for_a_hook_call(apps):
    fast, _reference = apps
    names = [f.__qualname__ for f in fast.after_request_funcs[None]]
    assert any("_answer_simple_cors_directly" in name for name in names)
    _status, headers, _body = _answer(fast, "POST", "/cds-services/nope", {})
    assert ("Access-Control-Allow-Origin", "*") in headers
