"""The log formatter's masking of tokens: the shortcut for text without any marker of a token
(`observability.logs.redact`) masks exactly what the three patterns mask."""

from __future__ import annotations

import json
import logging

from hypothesis import given
from hypothesis import strategies as st

from cds_service.observability.logs import (
    _SECRET_MARKS,
    _SECRETS,
    JsonFormatter,
    _has_secret_mark,
    redact,
)

PIECES = [
    "Bearer ",
    "bEaReR\t",
    "eyJ",
    "eyJhbGciOiJFUzM4NCJ9",
    ".",
    "access_token",
    "ID_TOKEN",
    "refresh_to\u212aen",  # the Kelvin sign matches k case-insensitively
    "=",
    ": ",
    '"',
    "abc",
    " ",
    "\u0131",
    "\u017f",
    "x" * 5,
]


def _every_pattern(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=6), max_size=12).map("".join))
def test_redact_masks_what_the_patterns_mask(text: str) -> None:
    assert redact(text) == _every_pattern(text)


def test_a_token_in_a_message_or_extra_is_masked() -> None:
    record = logging.LogRecord("x", logging.INFO, "f", 1, "got Bearer %s", ("abc.def",), None)
    record.header = "Authorization: Bearer eyJhbGciOi.eyJzdWIi.sig"
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "got Bearer [redacted]"
    assert line["header"] == "Authorization: Bearer [redacted]"


def test_plain_text_is_left_as_it_is() -> None:
    assert redact("hook pannet-cds-patient-view: 1 card(s)") == (
        "hook pannet-cds-patient-view: 1 card(s)"
    )


@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=6), max_size=12).map("".join))
def test_the_mark_check_is_any_mark_in_the_folded_text(text: str) -> None:
    folded = text.lower()
    assert _has_secret_mark(folded) == any(mark in folded for mark in _SECRET_MARKS)
