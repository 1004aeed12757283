"""`uuid5_text` formats a name-based UUID without the `uuid.UUID` object; it must give
`str(uuid.uuid5(...))` exactly, for any namespace and name."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from cds_service.cards.builder import suggestion_uuid, uuid5_text


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
