"""A person-readable reason for one pydantic / fhir.resources validation error.

fhir_core refuses a malformed primitive with "<Type> value string does not match spec regex.",
which tells a user nothing about what to write instead; for those types the reason names the
expected format (FHIR R4 datatypes, https://hl7.org/fhir/R4/datatypes.html). Other messages are
kept as pydantic words them.
"""

from __future__ import annotations

from typing import Any

# fhir_core type name (as it starts its message) -> what a valid value looks like
_EXPECTED_FORMAT = {
    "Date": "not a valid date, expected YYYY-MM-DD (or YYYY-MM, YYYY)",
    "DateTime": (
        "not a valid dateTime, expected YYYY-MM-DD or YYYY-MM-DDThh:mm:ss with a time zone"
        " (e.g. 2024-03-04T10:00:00+01:00)"
    ),
    "Instant": (
        "not a valid instant, expected YYYY-MM-DDThh:mm:ss with a time zone"
        " (e.g. 2024-03-04T10:00:00Z)"
    ),
    "Time": "not a valid time, expected hh:mm:ss",
    "Decimal": "not a valid decimal, expected a number such as 2.5",
}
_REGEX_MISMATCH = " value string does not match spec regex"


def plain_message(error: dict[str, Any]) -> str:
    """The reason of one entry of `ValidationError.errors()`, on one line."""
    msg = " ".join(str(error.get("msg", "invalid")).split())
    cause = (error.get("ctx") or {}).get("error")
    text = str(cause) if cause is not None else msg
    if _REGEX_MISMATCH in text:
        type_name = text.split(_REGEX_MISMATCH, 1)[0].strip()
        if type_name in _EXPECTED_FORMAT:
            return _EXPECTED_FORMAT[type_name]
    return msg
