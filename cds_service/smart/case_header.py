"""The lines at the head of the patient page: who (age, MRN where the Patient has one), which
operation (resection date and procedure) and a one-line pathology summary (size, grade, Ki-67,
nodes, lymphovascular invasion). Every value comes from the assessment's inputs, so it carries the
same sources and the same "read from the report text" mark as the table below; a value the
record lacks is shown as unknown, never left out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from scoring.assessment import Assessment, InputResult

# HL7 v2 table 0203 identifier type "MR": the medical record number.
_MR_TYPE = ("http://terminology.hl7.org/CodeSystem/v2-0203", "MR")


@dataclass(frozen=True)
class Item:
    """One value of the summary: `text` as shown; `quote` when it was read from report text."""

    label: str
    text: str
    known: bool
    sources: tuple[str, ...] = ()
    quote: str | None = None


@dataclass(frozen=True)
class CaseHeader:
    resection_date: str | None
    procedure: str | None
    resection_source: str | None
    pathology: list[Item]

    @property
    def text_derived(self) -> list[Item]:
        return [i for i in self.pathology if i.quote]


def age_on(birth_date: Any, today: date) -> int | None:
    """Whole years on `today`; None for a missing or partial (year-only) birth date."""
    if not isinstance(birth_date, str) or len(birth_date) != 10:
        return None
    try:
        born = date.fromisoformat(birth_date)
    except ValueError:
        return None
    if born > today:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def medical_record_number(patient: dict[str, Any]) -> str | None:
    """The value of the first identifier typed MR; None when the Patient has none."""
    for identifier in patient.get("identifier") or []:
        if not isinstance(identifier, dict) or not isinstance(identifier.get("value"), str):
            continue
        codings = (identifier.get("type") or {}).get("coding") or []
        if any(
            isinstance(c, dict) and (c.get("system"), c.get("code")) == _MR_TYPE for c in codings
        ):
            return identifier["value"]
    return None


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _yes_no(value: Any) -> str:
    return {True: "yes", False: "no"}.get(value, "unknown")


def _item(label: str, result: InputResult | None, shown: Callable[[Any], str]) -> Item:
    if result is None or result.value is None:
        return Item(label, f"{label} unknown", False)
    return Item(
        label,
        shown(result.value),
        True,
        tuple(result.sources),
        result.quote if result.read_from_text else None,
    )


def _grade(by_id: dict[str, InputResult]) -> Item:
    reported = by_id.get("grade_reported")
    if reported is not None and reported.value is not None:
        return _item("grade", reported, lambda v: f"grade {v}")
    derived = by_id.get("who_grade")
    if derived is not None and derived.value and " or " not in str(derived.value):
        return _item("grade", derived, lambda v: f"grade {v} (from Ki-67 / mitoses)")
    return Item("grade", "grade unknown", False)


def _nodes(by_id: dict[str, InputResult]) -> Item:
    positive, examined = by_id.get("nodes_positive"), by_id.get("nodes_examined")
    if positive is not None and positive.value is not None:
        of = examined.value if examined is not None and examined.value is not None else "?"
        sources = tuple(dict.fromkeys((*positive.sources, *(examined.sources if examined else ()))))
        quote = positive.quote or (examined.quote if examined else None)
        return Item("nodes", f"nodes {positive.value}/{of} positive", True, sources, quote)
    pn = by_id.get("pn_positive")
    if pn is not None and pn.value is not None:
        return _item("nodes", pn, lambda v: "pN1" if v else "pN0")
    return Item("nodes", "nodes unknown", False)


def case_header(assessment: Assessment) -> CaseHeader:
    by_id = {i.id: i for i in assessment.inputs}
    resection = by_id.get("resection")
    pathology = [
        _item("size", by_id.get("tumor_size_cm"), lambda v: f"size {_number(v)} cm"),
        _grade(by_id),
        _item("Ki-67", by_id.get("ki67_percent"), lambda v: f"Ki-67 {_number(v)} %"),
        _nodes(by_id),
        _item("LVI", by_id.get("lymphovascular_invasion"), lambda v: f"LVI {_yes_no(v)}"),
    ]
    return CaseHeader(
        resection_date=str(resection.value) if resection and resection.value else None,
        procedure=resection.note if resection else None,
        resection_source=resection.sources[0] if resection and resection.sources else None,
        pathology=pathology,
    )
