"""RecordIndex names a resource `Type/<quoted(id, 64)>`; the usual id skips the call to
`quoted` (index._add): the names must be those `quoted` gives, for any id."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fhir_mappers.index import RecordIndex
from fhir_mappers.quoting import quoted

ids = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=" \t\n\u00a0\u2028\ud800ab-.", max_size=70),
    st.from_regex(r"[A-Za-z0-9\-.]{1,70}", fullmatch=True),
)


@settings(max_examples=400)
@given(st.lists(ids, min_size=1, max_size=4, unique=True))
def test_refs_are_the_quoted_ids(rids: list[str]) -> None:
    resources = [{"resourceType": "Patient", "id": "p"}]
    resources += [{"resourceType": "Observation", "id": rid} for rid in rids]
    index = RecordIndex(resources)
    refs = {e.ref for e in index._entries if e.rtype == "Observation"}
    expected = {f"Observation/{quoted(rid, 64)}" if rid else None for rid in rids}
    if "" in rids:  # no id: named by its place
        expected.discard(None)
        expected.add(f"Observation/(no id, resource [{1 + rids.index('')}])")
    assert refs == expected


def test_edge_ids() -> None:
    for rid in ("a" * 64, "a" * 65, " a", "a ", "a  b", "a b", "a\tb", "\ud800"):
        index = RecordIndex([{"resourceType": "Observation", "id": rid}])
        assert index._entries[0].ref == f"Observation/{quoted(rid, 64)}"
