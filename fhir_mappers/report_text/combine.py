"""Discrete data first, report text second (clinical.md §3.3).

- no discrete value: the text value is used, labelled "read from the report text" with its
  quoted phrase (`Fact.quote`);
- discrete and text agree: the discrete Fact, unchanged;
- they disagree: the worse (higher-risk) value is used (§3.2), both sources kept, and
  `Fact.text_disagreement` says what each said (the quote is kept when the text's value won).
"""

from __future__ import annotations

from typing import Any

from fhir_mappers.report_text.reading import LABELS, WORSE, TextValue
from scoring.inputs import Fact

CONFIRM = "read from the report text — confirm"


def from_text(text: TextValue) -> Fact[Any]:
    note = f"{CONFIRM}: '{text.quote}'" + (f" ({text.note})" if text.note else "")
    return Fact(text.value, (text.source,), note, quote=text.quote)


def merge(name: str, discrete: Fact[Any], text: TextValue | None) -> Fact[Any]:
    if text is None or text.value is None:
        return discrete
    if not discrete.known:
        return from_text(text)
    if discrete.value == text.value:
        return discrete
    worse = WORSE.get(name)
    label = LABELS.get(name, name)
    said = (
        f"report text {text.source} says {_show(text.value)} ('{text.quote}'); discrete data "
        f"{', '.join(discrete.sources)} say {_show(discrete.value)}"
    )
    if worse is None:
        return Fact(
            discrete.value,
            discrete.sources,
            discrete.note,
            text_disagreement=f"{said}; the discrete value is used for {label}",
        )
    value = worse(discrete.value, text.value)
    disagreement = f"{said}; the worse (higher-risk) value {_show(value)} is used"
    if value == text.value:
        note = f"{CONFIRM}: '{text.quote}'"
        sources = (text.source, *discrete.sources)
        return Fact(value, sources, note, quote=text.quote, text_disagreement=disagreement)
    sources = (*discrete.sources, text.source)
    return Fact(value, sources, discrete.note, text_disagreement=disagreement)


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "present" if value else "absent"
    return str(value.value) if hasattr(value, "value") else str(value)
