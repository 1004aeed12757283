"""A FHIR Bulk Data Access v2 client: kick-off, status polling, file download.

https://hl7.org/fhir/uv/bulkdata/export.html. Kick-off asks `Prefer: respond-async` and
`Accept: application/fhir+json`; status polling honours `Retry-After` (seconds or an HTTP date;
without it the wait grows from 1 s to 30 s) within one overall time limit, and reports
`X-Progress`; each NDJSON file is streamed to disk in chunks, so memory does not grow with the
cohort. The access token goes with a file request only when the manifest says
`requiresAccessToken` (files may sit on another host).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import requests
from pydantic import ValidationError

from cds_service.bulk.auth import Authorizer
from cds_service.bulk.errors import (
    AuthorizationError,
    BulkError,
    ExportFailed,
    ExportNotSupported,
    ExportTimedOut,
)
from cds_service.bulk.manifest import Manifest, OutputFile

FHIR_JSON = "application/fhir+json"
NDJSON = "application/fhir+ndjson"
REQUEST_TIMEOUT_S = 60.0
DEFAULT_EXPORT_TIMEOUT_S = 3600.0
_FIRST_WAIT_S, _MAX_WAIT_S = 1.0, 30.0
_CHUNK = 1 << 16
_NO_EXPORT = frozenset({404, 405, 501})

Progress = Callable[[str], None]


class BulkClient:
    def __init__(
        self,
        base_url: str,
        auth: Authorizer,
        session: requests.Session,
        *,
        export_timeout_s: float = DEFAULT_EXPORT_TIMEOUT_S,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._auth = auth
        self._session = session
        self.export_timeout_s = export_timeout_s
        self._sleep = sleep
        self._clock = clock

    # --- one request, with a renewed token after a 401 -----------------------------------------
    def _request(
        self,
        method: str,
        url: str,
        *,
        authorised: bool = True,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        if authorised and _origin(url) != _origin(self.base_url):
            # The status and file URLs come from the server's answers: a token is sent only to
            # the FHIR server it was issued for, never to a host an answer names.
            raise AuthorizationError(
                f"{_where(url)} is not on {_origin(self.base_url)}: the export's access token"
                " is sent only to the FHIR server itself"
            )
        for attempt in (1, 2):
            sent = dict(headers or {})
            if authorised:
                sent.update(self._auth.headers())
            try:
                response = self._session.request(
                    method, url, headers=sent, timeout=REQUEST_TIMEOUT_S, **kwargs
                )
            except requests.RequestException as exc:
                raise BulkError(f"{_where(url)}: not reachable ({type(exc).__name__})") from None
            if response.status_code == 401 and authorised and attempt == 1 and self._auth.renew():
                response.close()
                continue
            if response.status_code in (401, 403):
                response.close()
                raise AuthorizationError(
                    f"{_where(url)} answered {response.status_code}: access refused (check the"
                    " token, or the client's registration and scopes)"
                )
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    # --- kick-off ------------------------------------------------------------------------------
    def kickoff(
        self,
        *,
        types: Sequence[str],
        group: str | None = None,
        since: str | None = None,
        patients: Sequence[str] | None = None,
    ) -> str:
        """Start an export; returns the status URL (Content-Location)."""
        level = f"Group/{quote(group, safe='')}/$export" if group else "Patient/$export"
        url = f"{self.base_url}/{level}"
        headers = {"Accept": FHIR_JSON, "Prefer": "respond-async"}
        params = {"_type": ",".join(types), "_outputFormat": NDJSON}
        if since:
            params["_since"] = since
        if patients:
            # v2: the patient parameter only in a POST; a server that ignores it sends more,
            # which the caller filters (it keeps only the patients it asked for).
            value = {"_since": "valueInstant"}  # the others are strings (v2 kick-off table)
            body = {
                "resourceType": "Parameters",
                "parameter": [
                    {"name": k, value.get(k, "valueString"): v} for k, v in params.items()
                ]
                + [
                    {"name": "patient", "valueReference": {"reference": f"Patient/{p}"}}
                    for p in patients
                ],
            }
            headers["Content-Type"] = FHIR_JSON
            response = self._request("POST", url, headers=headers, json=body)
        else:
            response = self._request("GET", url, headers=headers, params=params)
        with response:
            if response.status_code == 202:
                location = response.headers.get("Content-Location")
                if not location:
                    raise ExportFailed(f"{level}: accepted (202) without a Content-Location")
                return urljoin(url, location)  # absolute by the spec; a relative one is read too
            if response.status_code == 404 and group:
                raise ExportNotSupported(
                    f"Group/{group}: not found on {self.base_url}, or the server has no"
                    f" Group-level $export (answered 404{_outcome(response)})"
                )
            if response.status_code in _NO_EXPORT:
                raise ExportNotSupported(
                    f"{self.base_url} has no Patient-level $export (answered"
                    f" {response.status_code}{_outcome(response)}): is it a FHIR server with"
                    " Bulk Data Access?"
                )
            raise ExportFailed(
                f"{level} kick-off answered {response.status_code}{_outcome(response)}"
            )

    # --- status --------------------------------------------------------------------------------
    def wait(self, status_url: str, progress: Progress | None = None) -> Manifest:
        """Poll until complete; cancels the export (DELETE) when the time limit is reached."""
        deadline = self._clock() + self.export_timeout_s
        wait, last = _FIRST_WAIT_S, "no progress reported"
        while True:
            response = self._request("GET", status_url, headers={"Accept": "application/json"})
            with response:
                if response.status_code == 200:
                    return _manifest(response, status_url)
                if response.status_code not in (202, 429):
                    raise ExportFailed(
                        f"export failed: status {_where(status_url)} answered"
                        f" {response.status_code}{_outcome(response)}"
                    )
                reported = _progress(response.headers.get("X-Progress"))
                if reported:
                    last = reported
                    if progress:
                        progress(reported)
                asked = retry_after(response.headers.get("Retry-After"))
            delay = asked if asked is not None else wait
            wait = min(wait * 2, _MAX_WAIT_S)
            remaining = deadline - self._clock()
            if delay > remaining:
                self.cancel(status_url)
                raise ExportTimedOut(
                    f"export not complete after {self.export_timeout_s:.0f} s ({last});"
                    " cancelled: try again later or raise --timeout"
                )
            self._sleep(delay)

    def cancel(self, status_url: str) -> None:
        """Best effort: the server may go on, the run is lost either way."""
        with contextlib.suppress(BulkError):
            self._request("DELETE", status_url).close()

    # --- files ---------------------------------------------------------------------------------
    def download(self, manifest: Manifest, item: OutputFile, dest: Path) -> int:
        """Stream one output file to `dest`; returns its size in bytes."""
        scheme = urlsplit(item.url).scheme
        if scheme not in ("http", "https"):
            raise ExportFailed(f"manifest file URL for {item.type} is not http(s)")
        response = self._request(
            "GET",
            item.url,
            authorised=manifest.requires_access_token,
            headers={"Accept": NDJSON},
            stream=True,
        )
        with response:
            if response.status_code != 200:
                raise ExportFailed(
                    f"{item.type} file {_where(item.url)} answered {response.status_code}"
                )
            size = 0
            with dest.open("wb") as out:
                try:
                    for chunk in response.iter_content(_CHUNK):
                        out.write(chunk)
                        size += len(chunk)
                except requests.RequestException as exc:
                    raise ExportFailed(
                        f"{item.type} file {_where(item.url)}: download cut ({type(exc).__name__})"
                    ) from None
        return size


def retry_after(value: str | None) -> float | None:
    """`Retry-After` as seconds to wait: delta-seconds or an HTTP date; None when absent or
    unreadable (the caller then backs off on its own)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(moment.timestamp() - time.time(), 0.0)


def _manifest(response: requests.Response, status_url: str) -> Manifest:
    try:
        return Manifest.model_validate_json(response.content)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(root)"
        raise ExportFailed(
            f"export manifest from {_where(status_url)} unusable: {where}: {first['msg']}"
        ) from None


def _where(url: str) -> str:
    """The URL without its query (a pre-signed file URL carries credentials there)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _progress(value: str | None) -> str:
    return _printable(value or "", 60)


def _outcome(response: requests.Response) -> str:
    """': <diagnostics>' of an OperationOutcome answer, cut and made one printable line."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return ""
    issues = body.get("issue") if isinstance(body.get("issue"), list) else []
    for issue in issues:
        if isinstance(issue, dict):
            text = issue.get("diagnostics") or (issue.get("details") or {}).get("text")
            if isinstance(text, str) and text.strip():
                return f": {_printable(text, 200)}"
    return ""


def _printable(text: str, limit: int) -> str:
    cleaned = "".join(c if c.isprintable() else " " for c in text).strip()
    return cleaned[:limit] + ("..." if len(cleaned) > limit else "")
