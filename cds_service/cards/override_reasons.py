"""Why a clinician may dismiss the assessment card: a local, coded list.

CDS Hooks 2.0 prescribes no standard override reasons
(https://cds-hooks.hl7.org/2.0/#reasons-for-rejecting-a-card) and requires a `display` on each,
so these are codes of our own CodeSystem. Feedback stores the code; keep codes stable.
"""

from __future__ import annotations

from cds_service.cards.models import Coding
from cds_service.cards.wire import wire_constant

OVERRIDE_REASON_SYSTEM = "https://pannet-cds.org/CodeSystem/override-reason"

# code -> display. Order is the order the EHR shows them in.
OVERRIDE_REASONS: tuple[tuple[str, str], ...] = (
    ("already-scheduled", "Surveillance imaging already ordered or scheduled"),
    ("different-schedule", "Treating team has chosen a different schedule"),
    ("managed-elsewhere", "Follow-up is managed by another team or centre"),
    ("patient-declined", "Patient declined surveillance"),
    ("data-incorrect", "Data in the record used for the score is incorrect"),
    ("not-applicable", "Assessment does not apply to this patient"),
)


# Built once: the codings are frozen models, so every card may share them.
_CODINGS: tuple[Coding, ...] = tuple(
    wire_constant(Coding(system=OVERRIDE_REASON_SYSTEM, code=code, display=display))
    for code, display in OVERRIDE_REASONS
)


def override_reason_codings() -> list[Coding]:
    return list(_CODINGS)


# Their wire dicts, made once; each card gets copies of its own.
_WIRES: tuple[dict[str, str], ...] = tuple(coding.to_wire() for coding in _CODINGS)


def override_reason_wires() -> list[dict[str, str]]:
    """`[c.to_wire() for c in override_reason_codings()]`."""
    return [dict(wire) for wire in _WIRES]


def is_known_override_reason(system: str | None, code: str | None) -> bool:
    """For the feedback endpoint: was this reason one the card offered?"""
    return system == OVERRIDE_REASON_SYSTEM and any(code == known for known, _ in OVERRIDE_REASONS)
