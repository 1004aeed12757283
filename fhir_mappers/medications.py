"""Adjuvant therapy after surgery (Zheng LMS): somatostatin analogues, everolimus, sunitinib,
capecitabine + temozolomide, PRRT (clinical.md §3). Absence of a record is unknown, never "no".

Conservative readings (the spec leaves "adjuvant" undefined, §2.3): only a start strictly after
the resection date counts; a short-acting somatostatin analogue not linked to the tumour is
taken as perioperative fistula prophylaxis and not counted; capecitabine or temozolomide count
only as the CAPTEM pair.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fhir_mappers import clinical_codes as cc
from fhir_mappers.concepts import Concept, concept, field, items
from fhir_mappers.index import Entry, RecordIndex
from fhir_mappers.quoting import quoted
from fhir_mappers.selection import NO_FACT
from fhir_mappers.timing import Span, first_span
from scoring.inputs import Fact

_GIVEN = {
    "MedicationRequest": ("active", "completed", "on-hold", "stopped"),
    "MedicationStatement": ("active", "completed", "on-hold", "stopped"),
    "MedicationAdministration": ("completed", "in-progress", "stopped"),
    "Procedure": ("completed", "in-progress"),
}
_NET_REASON = cc.NET_TEXT + r"|c25\.4|c7a|d3a"
# Any drug class's codes / text: a search for the alternation of the class patterns finds a
# match exactly when one of them does (none has a backreference or a global flag)
_ANY_DRUG_CODE = frozenset().union(*(codes for codes, _ in cc.DRUG_CLASSES.values()))
# (joined flat: `re` scans for the alternatives' first letters, which a group wrapped around
# each pattern hides from it, halving the search)
_ANY_DRUG_TEXT = "|".join(text for _, text in cc.DRUG_CLASSES.values())
# literal text every match of _ANY_DRUG_TEXT holds ("177" of each Lu-177 spelling): a name
# without one (a resection Procedure's, most drugs') is not searched
_ANY_DRUG_STEMS = (
    "reotide",
    "sandostatin",
    "somatuline",
    "mycapssa",
    "signifor",
    "everolimus",
    "afinitor",
    "sunitinib",
    "sutent",
    "capecitabine",
    "xeloda",
    "temozolomide",
    "temod",
    "lutetium",
    "177",
    "dotatate",
    "lutathera",
    "prrt",
    "peptide receptor radionuclide",
)


def adjuvant_therapy(
    index: RecordIndex, surgery: date | None, diagnosis_refs: set[str], warnings: list[str]
) -> Fact[bool]:
    by_class: dict[str, list[str]] = {}
    for entry in index.of_type(*_GIVEN):
        drug = _drug_concept(index, entry)
        if not (drug.has_any(_ANY_DRUG_CODE) or drug.says_stemmed(_ANY_DRUG_TEXT, _ANY_DRUG_STEMS)):
            continue  # no class below matches (one search, not one per class)
        classes = [
            name
            for name, (codes, text) in cc.DRUG_CLASSES.items()
            if drug.has_any(codes) or drug.says(text)
        ]
        if not classes:
            continue
        status = entry.raw.get("status")
        if status not in _GIVEN[entry.rtype]:
            warnings.append(
                f"{entry.ref}: {classes[0]} with status '{quoted(str(status), 40)}' not counted"
            )
            continue
        if entry.rtype == "MedicationRequest" and entry.raw.get("intent") == "proposal":
            continue
        start = _start(index.model(entry), entry.rtype)
        if surgery is None or start is None:
            warnings.append(f"{entry.ref}: {classes[0]} start not comparable to the resection date")
            continue
        if not start.after(surgery):
            continue
        if classes == ["somatostatin analogue"] and not _counts_as_ssa(
            index, entry, drug, diagnosis_refs
        ):
            warnings.append(
                f"{entry.ref}: short-acting somatostatin analogue after surgery "
                "without a tumour indication; may be fistula prophylaxis, not counted"
            )
            continue
        for name in classes:
            by_class.setdefault(name, []).append(entry.ref)
    pair = cc.ORAL_PAIR
    if bool(by_class.get(pair[0])) != bool(by_class.get(pair[1])):
        alone = pair[0] if by_class.get(pair[0]) else pair[1]
        warnings.append(
            f"{alone} without {pair[1] if alone == pair[0] else pair[0]}: "
            "not counted as adjuvant therapy (CAPTEM counts as a pair)"
        )
        by_class.pop(alone)
    sources = [ref for refs in by_class.values() for ref in refs]
    if not sources:
        return NO_FACT
    return Fact(
        True, tuple(dict.fromkeys(sources)), "started after surgery: " + ", ".join(sorted(by_class))
    )


def _drug_concept(index: RecordIndex, entry: Entry) -> Concept:
    raw = entry.raw
    if entry.rtype == "Procedure":
        return concept(raw.get("code")) | concept(raw.get("usedCode"))
    found = concept(raw.get("medicationCodeableConcept"))
    med = index.resolve(field(raw, "medicationReference", "reference"), entry)
    if med is not None and med.rtype == "Medication":
        found = found | concept(med.raw.get("code"))
        for ingredient in items(med.raw, "ingredient"):
            found = found | concept(field(ingredient, "itemCodeableConcept"))
    display = field(raw, "medicationReference", "display")
    return found | Concept(text=display.lower()) if isinstance(display, str) else found


def _start(model: Any, rtype: str) -> Span | None:
    if rtype == "MedicationRequest":
        bounds = [
            getattr(getattr(d.timing, "repeat", None), "boundsPeriod", None)
            for d in (model.dosageInstruction or [])
            if d.timing
        ]
        validity = getattr(model.dispenseRequest, "validityPeriod", None)
        return first_span(*bounds, validity, model.authoredOn)
    if rtype == "MedicationStatement":
        return first_span(model.effectiveDateTime, model.effectivePeriod, model.dateAsserted)
    if rtype == "MedicationAdministration":
        return first_span(model.effectiveDateTime, model.effectivePeriod)
    return first_span(model.performedDateTime, model.performedPeriod)


def _counts_as_ssa(index: RecordIndex, entry: Entry, drug: Concept, dx: set[str]) -> bool:
    if drug.says(cc.LONG_ACTING_SSA_TEXT):
        return True
    for reason in items(entry.raw, "reasonReference"):
        target = index.resolve(field(reason, "reference"), entry)
        if target is not None and target.ref in dx:
            return True
    return concept(entry.raw.get("reasonCode")).says(_NET_REASON)
