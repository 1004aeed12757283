"""`index._type_id` returns a plain "Type/id" reference as it is, without the cuts: compared
with the cuts it skips over hypothesis references and edge cases."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_mappers.index import _type_id


def _cut_type_id(reference: str) -> str | None:
    """The former `_type_id`: every reference cut at /_history/ and its slashes."""
    parts = [p for p in reference.split("/_history/")[0].split("/") if p]
    return f"{parts[-2]}/{parts[-1]}" if len(parts) >= 2 else None


EDGES = [
    "Patient/p1",
    "Patient/",
    "/p1",
    "/",
    "a/b",
    "Patient/_history",
    "_history/1",
    "Patient/p1/_history/2",
    "http://x.org/fhir/Patient/p1",
    "Patient//p1",
    "Patient/p 1",
    "Patient/p1#x",
    "x",
]


def test_edges_as_the_cuts() -> None:
    for reference in EDGES:
        assert _type_id(reference) == _cut_type_id(reference), reference


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(st.sampled_from(["/", "a", "_history", "P", "1", " ", "#"]), max_size=12).map("".join)
)
def test_any_reference_as_the_cuts(reference: str) -> None:
    if reference:  # resolve asks for non-empty strings only
        assert _type_id(reference) == _cut_type_id(reference)
