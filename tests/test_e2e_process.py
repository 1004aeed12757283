"""The service process itself: what `serve` leaves behind on the host, how it stops, and the
operations endpoints as a load balancer or a browser-based EHR meets them."""

from __future__ import annotations

import pytest
import requests

from tests.support.jwt_issuer import JwtIssuer
from tests.support.service_process import ServiceProcess, signed_service_env

pytestmark = pytest.mark.e2e


def test_serve_opens_no_control_socket_in_the_users_home(tmp_path):
    """Regression: gunicorn >= 25.1 opened an unused control socket at ~/.gunicorn/gunicorn.ctl
    (or $XDG_RUNTIME_DIR/gunicorn.ctl), one path shared by every instance of the user.
    Checked after the stop: by then the arbiter has run its whole start-up."""
    home = tmp_path / "home"
    home.mkdir()
    workdir = tmp_path / "service"
    settings = {
        **signed_service_env(JwtIssuer(), workdir),
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(tmp_path / "no-such-dir"),  # so gunicorn would use $HOME
    }
    process = ServiceProcess(workdir, settings).start()
    try:
        assert requests.get(process.url("/readyz"), timeout=10).status_code == 200
    finally:
        exit_code = process.stop()
    assert exit_code == 0, process.log_tail()
    assert "Control socket" not in process.log_text()
    assert not (home / ".gunicorn").exists()


def test_operations_endpoints(cds_process):
    base = cds_process.base_url
    assert requests.get(f"{base}/healthz", timeout=10).json() == {"status": "ok"}
    assert requests.get(f"{base}/readyz", timeout=10).status_code == 200
    openapi = requests.get(f"{base}/openapi.json", timeout=10).json()
    assert openapi["openapi"].startswith("3.1")
    services = requests.get(f"{base}/cds-services", timeout=10).json()["services"]
    assert len(services) == 4


def test_browser_preflight_is_allowed_on_the_cds_endpoints(cds_process):
    response = requests.options(
        cds_process.url("/cds-services/pannet-cds-patient-view"),
        headers={
            "Origin": "https://sandbox.cds-hooks.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] in {"*", "https://sandbox.cds-hooks.org"}
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed


def test_errors_are_never_html(cds_process):
    for method, path in (("get", "/no-such-page"), ("put", "/cds-services")):
        response = requests.request(method, cds_process.url(path), timeout=10)
        assert response.status_code in {404, 405}
        assert response.json()["resourceType"] == "OperationOutcome"
        assert "<html" not in response.text.lower()
