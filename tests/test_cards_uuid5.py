"""`uuid5_text` formats a name-based UUID without the `uuid.UUID` object; it must give
`str(uuid.uuid5(...))` exactly, for any namespace and name; `uuid_bytes` reads a UUID's bytes
without it, and must accept and refuse what `uuid.UUID` does."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from cds_service.cards.builder import suggestion_uuid, uuid5_text
from cds_service.cards.models import uuid_bytes


@given(st.binary(min_size=16, max_size=16), st.text())
def test_agrees_with_uuid5(namespace, name):
    try:
        expected = str(uuid.uuid5(uuid.UUID(bytes=namespace), name))
    except UnicodeEncodeError:  # a lone surrogate: both refuse it
        try:
            uuid5_text(namespace, name)
        except UnicodeEncodeError:
            return
        raise AssertionError("uuid5_text accepted what uuid5 refused") from None
    assert uuid5_text(namespace, name) == expected


@given(st.uuids(), st.sampled_from(["ct", "mri", "x"]))
def test_suggestion_uuid_is_uuid5_of_the_card(card, modality):
    expected = str(uuid.uuid5(card, f"suggestion/{modality}"))
    assert suggestion_uuid(str(card), modality) == expected


def _spellings(value: uuid.UUID) -> list[str]:
    text = str(value)
    return [
        text,
        text.upper(),
        value.hex,
        "{" + text + "}",
        "urn:uuid:" + text,
        text + "\n",
        " " + text,
        text[:-1],
        text[:-1] + "g",
        text.replace("-", "", 1),
        text[:9] + "-" + text[9:],
    ]


@given(st.uuids())
def test_uuid_bytes_reads_what_uuid_reads(value):
    for text in _spellings(value):
        try:
            expected: bytes | type[ValueError] = uuid.UUID(text).bytes
        except ValueError:
            expected = ValueError
        try:
            got: bytes | type[ValueError] = uuid_bytes(text)
        except ValueError:
            got = ValueError
        assert got == expected, text


@given(st.text(max_size=40))
def test_uuid_bytes_refuses_what_uuid_refuses(text):
    try:
        expected: bytes | None = uuid.UUID(text).bytes
    except ValueError:
        expected = None
    try:
        got: bytes | None = uuid_bytes(text)
    except ValueError:
        got = None
    assert got == expected
