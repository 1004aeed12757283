"""Fetching what prefetch did not supply from the client's FHIR server, within a time budget.

Spec: https://cds-hooks.hl7.org/2.0/#fhir-resource-access (bearer token from
`fhirAuthorization`); FHIR R4 RESTful reads/searches and paging (https://hl7.org/fhir/R4/http.html,
https://hl7.org/fhir/R4/search.html#paging). Every fault of the server (status, content type,
broken JSON, reset, slowness, runaway paging) becomes a failure reason on that key, never an
exception; reasons are fixed phrases so no URL, patient id, token or text of the server's
reaches a log or a response.

Every search parameter value is percent-encoded when the request is made (`code=http://loinc.org|x`
goes out as `code=http%3A%2F%2Floinc.org%7Cx`, as fhirclient.js sends it: a proxy that collapses
`//` in a query would otherwise break token searches), whatever the template text holds; a read's
type and id are checked (FHIR id: `[A-Za-z0-9-.]{1,64}`) and sent as encoded path segments.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from pydantic import SecretStr

from cds_service.hooks.fhir_queries import InvalidQuery, encoded_search, read_path
from cds_service.hooks.fhir_targets import NOT_PUBLIC
from cds_service.http_session import PEER_REFUSED, PeerAllowed, peer_check

DEFAULT_BUDGET_S = 1.5
MAX_PAGES = 20
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
SEARCH_PAGE_SIZE = 100
DEFAULT_WORKERS = 5
# Resources kept per query: past this the key's data is refused as a whole rather than cut (a
# partial search result could hide exactly the resource that matters).
MAX_RESOURCES_PER_KEY = 5_000
FHIR_JSON = "application/fhir+json"

TargetCheck = Callable[[], "str | None"]

log = logging.getLogger(__name__)

Resource = dict[str, Any]


class Deadline:
    """A point in monotonic time that every request of one hook call must finish by."""

    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + max(seconds, 0.0)

    def remaining(self) -> float:
        return max(self._end - time.monotonic(), 0.0)


@dataclass(frozen=True)
class FetchOutcome:
    """The result of one prefetch key's query: all resources of all pages, or why not."""

    key: str
    resources: tuple[Resource, ...] = ()
    error: str | None = None
    pages: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None


class _Failed(Exception):
    """Internal: one query failed for `reason`; turned into a FetchOutcome, never raised out."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    try:
        port = parts.port or default
    except ValueError:
        raise _Failed("invalid URL in a next link") from None
    return parts.scheme, (parts.hostname or "").lower(), port


class FhirFetcher:
    """Reads and searches one FHIR server with the hook call's bearer token.

    Queries run in a small thread pool so that a slow server costs the budget once rather than
    once per query; the token is held as a SecretStr and only put into the request header.
    """

    def __init__(
        self,
        base_url: str,
        access_token: SecretStr | None,
        session: requests.Session,
        budget_s: float = DEFAULT_BUDGET_S,
        max_workers: int = DEFAULT_WORKERS,
        target_check: TargetCheck | None = None,
        max_resources: int = MAX_RESOURCES_PER_KEY,
        peer_allowed: PeerAllowed | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = access_token
        self._session = session
        self.budget_s = budget_s
        self._max_workers = max_workers
        self._origin = _origin(self.base_url)
        self._max_resources = max_resources
        self._peer_allowed = peer_allowed
        # Run once, by the first query, before any connection (it may resolve the host name,
        # so it runs in the pool, inside the time budget).
        self._target_check = target_check
        self._target_lock = threading.Lock()
        self._target_refusal: str | None = None
        self._target_checked = target_check is None

    def __repr__(self) -> str:
        return f"FhirFetcher(base_url={self.base_url!r}, budget_s={self.budget_s})"

    def fetch_many(
        self, queries: Mapping[str, str], budget_s: float | None = None
    ) -> dict[str, FetchOutcome]:
        """Run every `key -> relative URL` query concurrently; each key gets an outcome by the
        time the budget (the smaller of `budget_s` and this fetcher's) runs out."""
        if not queries:
            return {}
        budget = self.budget_s if budget_s is None else min(budget_s, self.budget_s)
        deadline = Deadline(budget)
        pool = ThreadPoolExecutor(
            max_workers=min(self._max_workers, len(queries)), thread_name_prefix="fhir-fetch"
        )
        try:
            futures = {
                key: pool.submit(self.fetch, key, query, deadline) for key, query in queries.items()
            }
            wait(futures.values(), timeout=deadline.remaining() + 0.05)
        finally:
            # Do not wait for stragglers: each one stops by itself at the deadline.
            pool.shutdown(wait=False, cancel_futures=True)
        outcomes = {}
        for key, future in futures.items():
            if future.done() and not future.cancelled():
                outcomes[key] = future.result()
            else:
                outcomes[key] = FetchOutcome(key, error="time budget exhausted")
                log.warning("FHIR fetch %s failed: time budget exhausted", key)
        return outcomes

    def fetch(self, key: str, query: str, deadline: Deadline) -> FetchOutcome:
        """One read (`Type/id`) or search (`Type?params`), following search pages."""
        try:
            self._check_target()
            if "?" in query:
                resources, pages = self._search(query, deadline)
            else:
                resources, pages = (self._read(query, deadline),), 1
        except _Failed as failure:
            log.warning("FHIR fetch %s failed: %s", key, failure.reason)
            return FetchOutcome(key, error=failure.reason)
        return FetchOutcome(key, resources=resources, pages=pages)

    def _check_target(self) -> None:
        with self._target_lock:
            if not self._target_checked and self._target_check is not None:
                self._target_refusal = self._target_check()
                self._target_checked = True
        if self._target_refusal is not None:
            raise _Failed(self._target_refusal)

    def _read(self, query: str, deadline: Deadline) -> Resource:
        try:
            expected, path = read_path(query)
        except InvalidQuery as error:
            raise _Failed(str(error)) from None
        resource = self._get(f"{self.base_url}/{path}", deadline)
        if resource.get("resourceType") == "OperationOutcome":
            raise _Failed("server answered with an OperationOutcome")
        if resource.get("resourceType") != expected:
            raise _Failed("server answered with another resource type than requested")
        return resource

    def _search(self, query: str, deadline: Deadline) -> tuple[tuple[Resource, ...], int]:
        query = encoded_search(query)
        if "_count=" not in query:
            query = f"{query}&_count={SEARCH_PAGE_SIZE}"
        url: str | None = f"{self.base_url}/{query}"
        seen: set[str] = set()
        resources: list[Resource] = []
        while url is not None:
            if url in seen:
                raise _Failed("paging loop: a next link repeats an earlier page")
            if len(seen) >= MAX_PAGES:
                raise _Failed(f"more than {MAX_PAGES} result pages")
            if _origin(url) != self._origin:
                raise _Failed("next link points to another origin; not followed")
            seen.add(url)
            bundle = self._get(url, deadline)
            resources.extend(_search_entries(bundle))
            if len(resources) > self._max_resources:
                raise _Failed(f"more than {self._max_resources} resources; not read")
            url = _next_link(bundle, url)
        return tuple(resources), len(seen)

    def _get(self, url: str, deadline: Deadline) -> Resource:
        remaining = deadline.remaining()
        if remaining <= 0:
            raise _Failed("time budget exhausted")
        headers = {"Accept": FHIR_JSON}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        try:
            # Redirects are refused: following one could carry the token to another host.
            with (
                peer_check(self._peer_allowed),
                self._session.get(
                    url,
                    headers=headers,
                    timeout=(remaining, remaining),
                    stream=True,
                    allow_redirects=False,
                ) as response,
            ):
                if response.status_code != 200:
                    raise _Failed(f"HTTP {response.status_code}")
                content_type = response.headers.get("Content-Type", "").lower()
                if "json" not in content_type:
                    raise _Failed("unexpected content type (not FHIR JSON)")
                body = _read_body(response, deadline)
        except requests.Timeout:
            raise _Failed("timed out") from None
        except requests.ConnectionError as error:
            if PEER_REFUSED in str(error):
                raise _Failed(NOT_PUBLIC) from None
            raise _Failed("connection failed") from None
        except requests.RequestException:
            raise _Failed("transfer failed") from None
        try:
            document = json.loads(body)
        except ValueError:
            raise _Failed("invalid JSON") from None
        if not isinstance(document, dict) or not isinstance(document.get("resourceType"), str):
            raise _Failed("response is not a FHIR resource")
        return document


def _read_body(response: requests.Response, deadline: Deadline) -> bytes:
    # Read in chunks so a server trickling bytes cannot outlast the budget or fill memory.
    chunks = []
    size = 0
    for chunk in response.iter_content(chunk_size=65536):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise _Failed("response too large")
        if deadline.remaining() <= 0:
            raise _Failed("time budget exhausted")
        chunks.append(chunk)
    return b"".join(chunks)


def _search_entries(bundle: Resource) -> list[Resource]:
    if bundle.get("resourceType") == "OperationOutcome":
        raise _Failed("server answered with an OperationOutcome")
    if bundle.get("resourceType") != "Bundle":
        raise _Failed("search did not return a Bundle")
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise _Failed("Bundle.entry is not an array")
    resources = []
    errors = 0
    for entry in entries:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise _Failed("Bundle entry without a resource")
        if resource["resourceType"] == "OperationOutcome":
            errors += _is_error_outcome(resource)
            continue
        resources.append(resource)
    if errors and not resources:
        raise _Failed("server answered with an OperationOutcome")
    return resources


def _is_error_outcome(outcome: Resource) -> bool:
    issues = outcome.get("issue", [])
    return isinstance(issues, list) and any(
        isinstance(i, dict) and i.get("severity") in ("error", "fatal") for i in issues
    )


def _next_link(bundle: Resource, current: str) -> str | None:
    links = bundle.get("link", [])
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, dict) and link.get("relation") == "next":
            target = link.get("url")
            if not isinstance(target, str) or not target:
                raise _Failed("next link without a URL")
            return urljoin(current, target)
    return None
