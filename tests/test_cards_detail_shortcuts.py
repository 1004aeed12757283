"""The detail's per-row shortcuts give what the paths they skip give: `without_codes` skips its
regex for text without "LOINC ", `_factor_refs` skips the deduplication for a factor without
other sources, and a factor row without text-derived inputs takes the value word directly."""

from __future__ import annotations

import re
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from cds_service.cards import detail, detail_scores, wording
from cds_service.cards.markdown import escape_text
from scoring.assessment import FactorResult

# Pieces of LOINC notes ("Ki-67 index (LOINC 29593-1)", ", LOINC 9811-1.") and near misses.
NOTE = st.lists(
    st.sampled_from(
        [
            "Ki-67",
            " (LOINC 29593-1)",
            ", LOINC 9811-1",
            "LOINC",
            "LOINC ",
            " ",
            ".",
            ";",
            "(",
            ")",
            "1",
            "-",
            "loinc 1-2",
            ",",
            "LOINC 12345678-1",
        ]
    ),
    max_size=8,
).map("".join)


@given(NOTE)
def test_without_codes_equals_the_regex_on_every_text(text: str) -> None:
    assert wording.without_codes(text) == wording._LOINC.sub("", text)


def test_the_note_strategy_reaches_both_branches() -> None:
    assert wording.without_codes("Ki-67 index (LOINC 29593-1)") == "Ki-67 index"
    assert re.search("LOINC ", "x") is None


REF = st.sampled_from(["Observation/a", "Observation/b", "Procedure/p", ""])


@given(st.one_of(st.none(), REF), st.lists(REF, max_size=4))
def test_factor_refs_equals_the_deduplicated_union(source: str | None, sources: list[str]) -> None:
    factor = FactorResult(
        id="f", label="F", value=True, weight=1, points=1, source=source, sources=sources
    )
    reference = list(dict.fromkeys([*([source] if source else []), *sources]))
    assert detail_scores._factor_refs(detail_scores.fields_of(factor)) == reference


@given(st.sampled_from([True, False, None]), st.one_of(st.none(), st.just("report text x")))
def test_without_text_sources_the_value_cell_is_the_value_word(
    value: bool | None, detail: str | None
) -> None:
    factor = FactorResult(
        id="f",
        label="F",
        value=value,
        weight=None,
        points=None,
        source="Observation/a",
        detail=detail,
    )
    assert (
        detail_scores._value_cell(detail_scores.fields_of(factor), set())
        == (detail_scores._VALUE_WORDS[value])
    )


@given(st.lists(NOTE, max_size=6), st.lists(NOTE, max_size=3))
def test_missing_words_are_each_phrase_without_codes_escaped(
    missing: list[str], lighter: list[str]
) -> None:
    assessment = SimpleNamespace(
        scores=[SimpleNamespace(missing=missing), SimpleNamespace(missing=missing[::-1])],
        surveillance=SimpleNamespace(lighter_if_known=lighter),
    )
    words = wording.missing_words(assessment)  # type: ignore[arg-type]
    assert words == {m: escape_text(wording.without_codes(m)) for m in [*missing, *lighter]}


def _once_reference(match: re.Match[str]) -> str:
    """`detail._once` before its shortcut for a group without a comma."""
    refs = [r.strip() for r in match.group(1).split(",")]
    return f"({', '.join(dict.fromkeys(refs))})" if all("/" in r for r in refs) else match.group(0)


FLAG = st.lists(
    st.sampled_from(["(", ")", ",", ", ", " ", "/", "Observation/a", "Observation/b", "x", "→"]),
    max_size=12,
).map("".join)


@given(FLAG)
def test_flag_references_once_agrees_with_the_reference(text: str) -> None:
    assert detail._REFS.sub(detail._once, text) == detail._REFS.sub(_once_reference, text)
    assert detail._REFS.sub(detail._once, "a ( Observation/a ) (x)") == "a (Observation/a) (x)"
