"""What a `fhirServer` may look like: one pattern, used by the request validator and published in
the OpenAPI schema, so the two never disagree.

An absolute http(s) base URL, lower-case scheme, no user info, query or fragment. The host is a
DNS name of RFC 1123 labels (letters, digits, inner hyphens, 1-63 characters each; this covers
IPv4 literals too) or an IPv6 literal in brackets (RFC 3986 `IPv6address`, zone ids refused); the
port, if any, 1-65535. Written in the regex subset JSON Schema and Python share (no lookbehind,
no possessive quantifiers); every quantifier is bounded except the path's, which is one class.
"""

from __future__ import annotations

import re

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DNS_NAME = rf"{_LABEL}(?:\.{_LABEL}){{0,126}}\.?"
_H16 = r"[0-9A-Fa-f]{1,4}"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_LS32 = rf"(?:{_H16}:{_H16}|{_IPV4})"
_IPV6 = (
    "(?:"
    + "|".join(
        (
            rf"(?:{_H16}:){{6}}{_LS32}",
            rf"::(?:{_H16}:){{5}}{_LS32}",
            rf"(?:{_H16})?::(?:{_H16}:){{4}}{_LS32}",
            rf"(?:(?:{_H16}:){{0,1}}{_H16})?::(?:{_H16}:){{3}}{_LS32}",
            rf"(?:(?:{_H16}:){{0,2}}{_H16})?::(?:{_H16}:){{2}}{_LS32}",
            rf"(?:(?:{_H16}:){{0,3}}{_H16})?::{_H16}:{_LS32}",
            rf"(?:(?:{_H16}:){{0,4}}{_H16})?::{_LS32}",
            rf"(?:(?:{_H16}:){{0,5}}{_H16})?::{_H16}",
            rf"(?:(?:{_H16}:){{0,6}}{_H16})?::",
        )
    )
    + ")"
)
_PORT = r"(?:[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
FHIR_SERVER_PATTERN = rf"^https?://(?:{_DNS_NAME}|\[{_IPV6}\])(?::{_PORT})?(?:/[^?#]*)?$"
MAX_LENGTH = 2048

_COMPILED = re.compile(FHIR_SERVER_PATTERN)


def fhir_server_problem(value: str) -> str | None:
    """Why `value` is not an acceptable fhirServer, or None. Matched as JSON Schema does (a
    `search` of the pattern), so the published schema and this check agree."""
    if len(value) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    if _COMPILED.search(value) is None:
        return (
            "must be an absolute http(s) base URL whose host is a DNS name or an IP address "
            "(IPv6 in brackets), with an optional port 1-65535 and no user, query or fragment"
        )
    return None
