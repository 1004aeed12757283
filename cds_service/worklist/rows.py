"""Assessment → worklist row: why the patient is on the list (the first `RowState` that
applies, in urgency order) and what the navigator needs to act on it.

- overdue: the plan says an exam is past due with no abdominal CT/MRI since its window opened;
- due: the next exam falls due within the window (`due_within_days`);
- undetermined: only where missing data would change the schedule (the assessment lists data
  that could allow a lighter one, or there is no resection date to count from); an unknown tier
  whose every possible tier has the same schedule is not undetermined;
- recurrence: recurrence on record (out of surveillance, with its source);
- on-schedule: in scope, nothing due within the window;
- out-of-scope: a NET on record but excluded (why). Patients without a NET diagnosis get no
  row (`None`): they are counted, not listed.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from cds_service.worklist.models import RowState, WorklistRow
from scoring.assessment import Assessment, SurveillancePlan
from scoring.inputs import ClinicalInputs, ImagingState
from scoring.scope import OutOfScope

NEXT_EXAM = "abdominal CT/MRI"
NO_RESECTION_DATE = "the date of the resection (Procedure.performed), to count the schedule from"
_MRN_CODE = "MR"  # HL7 v2-0203 identifier type "Medical record number"


def row_for(
    patient: dict[str, Any] | None,
    patient_id: str,
    inputs: ClinicalInputs,
    assessment: Assessment,
    *,
    today: date,
    due_within_days: int,
) -> WorklistRow | None:
    if assessment.scope_code == OutOfScope.NO_NET_DIAGNOSIS:
        return None
    plan = assessment.surveillance
    last = _last_imaging(inputs)
    sources = _sources(patient_id, inputs, assessment, last)
    common: dict[str, Any] = {
        "patient_id": patient_id,
        **patient_identity(patient),
        "tier": assessment.overall_tier,
        "possible_tiers": assessment.possible_tiers,
        "resection_date": _resection_date(inputs),
        "resection_source": inputs.resection.source if inputs.resection else None,
        "last_imaging": last[0] if last else None,
        "last_imaging_source": last[1] if last else None,
        "imaging_dates": sorted({e.when.isoformat() for e in inputs.imaging}),
        "sources": sources,
        "warnings": list(assessment.warnings),
        "scored_at": today.isoformat(),
        "record_read_on": today.isoformat(),
    }
    if not assessment.in_scope:
        state = (
            RowState.RECURRENCE
            if assessment.scope_code == OutOfScope.RECURRENCE
            else RowState.OUT_OF_SCOPE
        )
        return WorklistRow(**common, state=state, reason=assessment.scope_reason)
    if plan is None:  # the assessment always plans an in-scope patient
        raise ValueError(f"Patient/{patient_id}: in scope but without a surveillance plan")
    return WorklistRow(
        **common,
        **plan_fields(plan, today=today, due_within_days=due_within_days),
    )


def plan_fields(plan: SurveillancePlan, *, today: date, due_within_days: int) -> dict[str, Any]:
    """The row's state and schedule columns from a surveillance plan (also used to re-evaluate a
    kept row for a new day, see merge)."""
    missing = list(plan.lighter_if_known)
    if plan.anchor_date is None:
        missing.append(NO_RESECTION_DATE)
    if plan.overdue:
        state = RowState.OVERDUE
    elif plan.next_due and date.fromisoformat(plan.next_due) <= today + timedelta(
        days=due_within_days
    ):
        state = RowState.DUE
    elif missing:
        state = RowState.UNDETERMINED
    else:
        state = RowState.ON_SCHEDULE
    return {
        "state": state,
        "schedule_tier": plan.tier,
        "next_exam": NEXT_EXAM if plan.next_due else None,
        "next_due": plan.next_due,
        "overdue_since": plan.overdue_since,
        "days_overdue": plan.days_overdue,
        "missed_dates": plan.missed_dates,
        "missing_data": missing,
        "schedule_basis": plan.basis,
    }


def patient_identity(patient: dict[str, Any] | None) -> dict[str, str | None]:
    """Name, birth date and MRN as the Patient resource states them (nothing guessed)."""
    if not isinstance(patient, dict):
        return {"name": None, "birth_date": None, "mrn": None}
    birth = patient.get("birthDate")
    return {
        "name": _name(patient.get("name")),
        "birth_date": birth if isinstance(birth, str) else None,
        "mrn": _mrn(patient.get("identifier")),
    }


def _name(names: object) -> str | None:
    if not isinstance(names, list):
        return None
    usable = [n for n in names if isinstance(n, dict)]
    usable.sort(key=lambda n: 0 if n.get("use") == "official" else 1 if not n.get("use") else 2)
    for name in usable:
        if isinstance(name.get("text"), str) and name["text"].strip():
            return name["text"].strip()[:200]
        given = [g for g in name.get("given") or [] if isinstance(g, str)]
        family = name.get("family") if isinstance(name.get("family"), str) else ""
        text = " ".join([*given, family]).strip()
        if text:
            return text[:200]
    return None


def _mrn(identifiers: object) -> str | None:
    if not isinstance(identifiers, list):
        return None
    for ident in identifiers:
        if not isinstance(ident, dict) or not isinstance(ident.get("value"), str):
            continue
        codings = ((ident.get("type") or {}).get("coding")) or []
        if any(isinstance(c, dict) and c.get("code") == _MRN_CODE for c in codings):
            return ident["value"][:64]
    return None


def _resection_date(inputs: ClinicalInputs) -> str | None:
    performed = inputs.resection.performed if inputs.resection else None
    return performed.isoformat() if performed else None


def _last_imaging(inputs: ClinicalInputs) -> tuple[str, str] | None:
    """The latest abdominal CT/MRI done on record (date, source); an order only when nothing
    was done after it (then labelled as ordered)."""
    if not inputs.imaging:
        return None
    event = max(inputs.imaging, key=lambda e: (e.when, e.state == ImagingState.DONE))
    label = event.when.isoformat()
    if event.state == ImagingState.ORDERED:
        label += " (ordered)"
    return label, event.source


def _sources(
    patient_id: str,
    inputs: ClinicalInputs,
    assessment: Assessment,
    last: tuple[str, str] | None,
) -> list[str]:
    """Every resource a column of the row was read from (Type/id), once each."""
    refs = [f"Patient/{patient_id}"]
    if inputs.diagnosis:
        refs.append(inputs.diagnosis)
    if inputs.resection:
        refs.append(inputs.resection.source)
    if last:
        refs.append(last[1])
    for item in assessment.inputs:
        refs.extend(item.sources)
    if assessment.surveillance:
        refs.extend(assessment.surveillance.imaging_sources)
    return list(dict.fromkeys(r for r in refs if r))
