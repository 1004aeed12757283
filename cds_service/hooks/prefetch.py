"""Prefetch templates: filling `{{tokens}}` and reading what a client sent for a key.

Spec: https://cds-hooks.hl7.org/2.0/#prefetch-template and #prefetch-tokens. A client MUST omit
a key it did not satisfy or failed to fetch, and MUST send `null` when it has no data for it;
a CDS 2.0 client may also report a prefetch error with an OperationOutcome.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from cds_service.hooks.context import patient_of
from cds_service.hooks.services import PrefetchTemplate, ServiceDefinition

_TOKEN = re.compile(r"\{\{\s*([A-Za-z][A-Za-z0-9_.]*)\s*\}\}")

Resource = dict[str, Any]


def render_template(template: str, tokens: Mapping[str, str]) -> str | None:
    """The relative FHIR URL for `template`, or None when a token has no value in this call
    (for example `{{context.encounterId}}` when the hook was called without an encounter)."""
    return _render_quoted(_template_parts(template), _quoted_tokens(tokens))


def _quoted_tokens(tokens: Mapping[str, str]) -> dict[str, str]:
    return {name: quote(value, safe="/") for name, value in tokens.items()}


def _render_quoted(parts: tuple[str, ...], quoted: Mapping[str, str]) -> str | None:
    """The split template `parts` filled with the already quoted token values."""
    rendered = [parts[0]]
    for index in range(1, len(parts), 2):
        value = quoted.get(parts[index])
        if value is None:
            return None
        rendered.append(value)
        rendered.append(parts[index + 1])
    return "".join(rendered)


@functools.cache
def _template_parts(template: str) -> tuple[str, ...]:
    # Text, token name, text, ...: a template is split once (the services' templates are few).
    return tuple(_TOKEN.split(template))


@functools.cache
def _template_tokens(template: str) -> tuple[str, ...]:
    # The token names a template needs: every other part of its split.
    return _template_parts(template)[1::2]


@functools.cache
def _template_token_set(template: str) -> frozenset[str]:
    return frozenset(_template_tokens(template))


def renders(template: str, tokens: Mapping[str, str]) -> bool:
    """Whether `render_template(template, tokens)` gives a URL rather than None: every token
    the template names has a value (a quoted value is never None). Tells the keys a call can
    use without building their URLs, which only a fetch or a message needs."""
    # A subset test of the keys (in C), not a generator over the names: once per key per call.
    return _template_token_set(template) <= tokens.keys()


def render_prefetch(service: ServiceDefinition, tokens: Mapping[str, str]) -> dict[str, str]:
    """Relative FHIR URLs for each of the service's prefetch keys that can be rendered (each
    as `render_template` gives it; a call's few token values are quoted once, not once per
    template: a dozen templates name the same patient id)."""
    quoted = _quoted_tokens(tokens)
    rendered = {}
    for key, spec in service.prefetch.items():
        url = _render_quoted(_template_parts(spec.template), quoted)
        if url is not None:
            rendered[key] = url
    return rendered


class PrefetchState(StrEnum):
    """What the client told us about one prefetch key."""

    PROVIDED = "provided"  # data to use
    NO_DATA = "no-data"  # null: the client has no data for it
    MISSING = "missing"  # omitted, or an OperationOutcome in place of data: fetch it


@dataclass(frozen=True)
class PrefetchReading:
    state: PrefetchState
    resources: tuple[Resource, ...] = ()
    note: str = ""


# The readings without resources, made once (they are frozen): most keys of a call get one.
_NOT_PREFETCHED = PrefetchReading(PrefetchState.MISSING, note="not prefetched")
_NULL = PrefetchReading(PrefetchState.NO_DATA, note="client has no data (null)")
_OUTCOME = PrefetchReading(PrefetchState.MISSING, note="client reported an OperationOutcome")
OTHER_PATIENT = "holds a resource of another patient than context.patientId"


def _is_outcome(resource: Resource) -> bool:
    return resource.get("resourceType") == "OperationOutcome"


def read_prefetch(
    prefetch: Mapping[str, Resource | None],
    spec: PrefetchTemplate,
    patient_id: str | None = None,
) -> PrefetchReading:
    """Classify the prefetch value for `spec.key`; raises ValueError if it is the wrong kind
    of resource for its template (the caller names the key in a 400). With `patient_id`, a
    search's data about another patient raises ValueError (`OTHER_PATIENT`) too, checked in the
    same pass over its entries, but only once they are all well formed (their errors first)."""
    if spec.key not in prefetch:
        return _NOT_PREFETCHED
    value = prefetch[spec.key]
    if value is None:
        return _NULL
    if _is_outcome(value):
        return _OUTCOME
    if spec.is_read:
        if value.get("resourceType") != spec.resource_type:
            raise ValueError(f"must be a {spec.resource_type}, got {value.get('resourceType')}")
        return PrefetchReading(PrefetchState.PROVIDED, (value,))
    if value.get("resourceType") != "Bundle":
        raise ValueError(f"must be a searchset Bundle, got {value.get('resourceType')}")
    entries = value.get("entry", [])
    if not isinstance(entries, list):
        raise ValueError("Bundle.entry must be an array")
    resources = []
    outcomes = 0
    other_patient = False
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            raise ValueError(f"entry[{index}].resource must be a FHIR resource")
        kind = resource.get("resourceType")
        if not isinstance(kind, str):
            raise ValueError(f"entry[{index}].resource must be a FHIR resource")
        if kind == "OperationOutcome":  # _is_outcome, inline: once per resource of the call
            outcomes += 1
        else:
            resources.append(resource)
            if patient_id is not None and not other_patient:
                other = patient_of(resource)
                other_patient = other is not None and other != patient_id
    if outcomes and not resources:
        return _OUTCOME
    if other_patient:
        raise ValueError(OTHER_PATIENT)
    return PrefetchReading(PrefetchState.PROVIDED, tuple(resources))
