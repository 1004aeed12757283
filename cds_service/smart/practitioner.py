"""A practitioner launch (the worklist): opened from the EHR's menu or on its own, with no patient
in context, so its scopes are user-level (SMART App Launch 2.x, `user/` scopes:
https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html). From its worklist the
user opens patients one at a time, each in a launch of its own with that patient in context."""

from __future__ import annotations

import re
from collections.abc import Iterable

_USER_READ = re.compile(r"^user/(\*|Patient)\.([a-z*]+)$")


def practitioner_scope(resource_types: Iterable[str], *, ehr_launch: bool) -> str:
    """User-level read+search of every type the assessment reads, create for the orders; no
    `launch/patient` (the user picks the patient from the worklist)."""
    reads = [f"user/{t}.rs" for t in dict.fromkeys(resource_types)]
    launch = ["launch"] if ehr_launch else []
    return " ".join([*launch, "openid", "fhirUser", *reads, "user/ServiceRequest.c"])


def reads_any_patient(scope: str) -> bool:
    """Whether granted scopes let the user read Patients beyond one in context (v2 `.r`/`.rs`/
    `.cruds` or v1 `.read`/`.*`): what the worklist's patient pages need."""
    for item in scope.split():
        match = _USER_READ.match(item)
        if match is None:
            continue
        perms = match.group(2)
        if perms in ("read", "*") or (set(perms) <= set("cruds") and "r" in perms):
            return True
    return False
