"""The queries sent to a FHIR server, encoded when the request is made, whatever the template.

- Every search parameter name and value is percent-encoded (`code=http://loinc.org|x` goes out
  as `code=http%3A%2F%2Floinc.org%7Cx`, as fhirclient.js sends it): a proxy that collapses `//`
  in a query otherwise breaks token searches (issue 12, the SMART launcher's proxy). Values are
  decoded first, so a template already encoded is sent the same as one written plainly.
- A read's type and id are checked (FHIR id: `[A-Za-z0-9-.]{1,64}`,
  https://hl7.org/fhir/R4/datatypes.html#id) and the id is sent as one encoded path segment.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

_READ = re.compile(r"^([A-Z][A-Za-z]{1,63})/([A-Za-z0-9\-.]{1,64})$")
# Unreserved characters stay; ',' separates OR-joined values in FHIR search and stays too.
_VALUE_SAFE = ","
_NAME_SAFE = ":_-."


class InvalidQuery(ValueError):
    """A read whose type or id is not valid FHIR; the message is a fixed phrase."""


def read_path(query: str) -> tuple[str, str]:
    """(resource type, encoded `Type/id` path) of a read; `InvalidQuery` unless both are FHIR
    (an id of dots only would make the path climb: `Patient/..` is the server's root)."""
    match = _READ.match(unquote(query))
    if match is None or set(match.group(2)) == {"."}:
        raise InvalidQuery("not a valid FHIR resource type and id")
    resource_type, resource_id = match.groups()
    return resource_type, f"{resource_type}/{quote(resource_id, safe='')}"


def encoded_search(query: str) -> str:
    """`Type?name=value&...` with every name and value percent-encoded. Values are decoded
    first, so a template already encoded is sent the same as one written plainly."""
    resource_type, _, params = query.partition("?")
    encoded = []
    for param in params.split("&"):
        if not param:
            continue
        name, has_value, value = param.partition("=")
        name = quote(unquote(name), safe=_NAME_SAFE)
        encoded.append(f"{name}={quote(unquote(value), safe=_VALUE_SAFE)}" if has_value else name)
    return f"{quote(resource_type, safe='')}?{'&'.join(encoded)}"
