"""The record as an index: resources by type and reference, each validated at most once.

Validation uses `fhir.resources.R4B` models and happens only for resources a mapper uses; an
invalid one raises FhirInputError naming `Type/id` and the element path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import BaseModel, ValidationError

from fhir_mappers.concepts import field as raw_field
from fhir_mappers.errors import FhirInputError
from fhir_mappers.json_dates import non_string_date
from fhir_mappers.validation_messages import plain_message


@dataclass
class Entry:
    raw: dict[str, Any]
    rtype: str
    ref: str  # "Type/id", or "Container/id#local" for a contained resource
    container: Entry | None = None
    contained: dict[str, Entry] = field(default_factory=dict)


class RecordIndex:
    def __init__(self, resources: list[dict[str, Any]]) -> None:
        if not isinstance(resources, list):
            raise FhirInputError("resources must be a list of resource objects")
        self.warnings: list[str] = []
        self._entries: list[Entry] = []
        self._by_ref: dict[str, Entry] = {}
        self._by_type: dict[str, list[Entry]] = {}
        self._models: dict[int, BaseModel] = {}
        contained_ids = {id(c) for r in resources if isinstance(r, dict) for c in _contained(r)}
        for i, raw in enumerate(resources):
            if id(raw) not in contained_ids:
                self._add(raw, f"resource [{i}]", None)
        self.patient = self._single_patient()

    # --- building ---------------------------------------------------------------------------
    def _add(self, raw: object, where: str, container: Entry | None) -> None:
        if not isinstance(raw, dict) or not isinstance(raw.get("resourceType"), str):
            raise FhirInputError(f"{where} is not a resource object with a resourceType")
        rtype = raw["resourceType"]
        rid = raw.get("id")
        local = rid if isinstance(rid, str) and rid else f"(no id, {where})"
        ref = f"{container.ref}#{local}" if container else f"{rtype}/{local}"
        if ref in self._by_ref:
            if self._by_ref[ref].raw != raw:
                self.warnings.append(f"{ref}: appears twice with different content; first used")
            return
        entry = Entry(raw, rtype, ref, container)
        self._entries.append(entry)
        self._by_ref[ref] = entry
        self._by_type.setdefault(rtype, []).append(entry)
        if container is not None:
            container.contained[local] = entry
        for j, child in enumerate(_contained(raw)):
            self._add(child, f"{ref} contained[{j}]", entry)

    def _single_patient(self) -> Entry | None:
        patients = self._by_type.get("Patient", [])
        if len({p.ref for p in patients}) > 1:
            names = ", ".join(p.ref for p in patients[:5])
            raise FhirInputError(f"record holds several Patients ({names}); expected one")
        if patients:
            self.model(patients[0])
            return patients[0]
        return None

    # --- queries ----------------------------------------------------------------------------
    def of_type(self, *rtypes: str) -> list[Entry]:
        out: list[Entry] = []
        for rtype in rtypes:
            out.extend(e for e in self._by_type.get(rtype, []) if self._about_patient(e))
        return out

    def model(self, entry: Entry) -> Any:
        """The validated R4B model of `entry` (validated once, then cached)."""
        key = id(entry)
        cached = self._models.get(key)
        if cached is not None:
            return cached
        model_class = get_fhir_model_class(entry.rtype)
        bad_date = non_string_date(model_class, entry.raw)
        if bad_date is not None:
            raise FhirInputError(f"{entry.ref}: {bad_date}: a date or time must be a JSON string")
        try:
            model = model_class.model_validate(entry.raw)
        except ValidationError as exc:
            raise FhirInputError(f"{entry.ref}: {_describe(exc)}") from None
        except (TypeError, ValueError, KeyError) as exc:  # fhir_core raises these on odd input
            raise FhirInputError(f"{entry.ref}: invalid resource ({exc})") from None
        self._models[key] = model
        return model

    def resolve(self, reference: object, context: Entry | None = None) -> Entry | None:
        """The entry a Reference.reference string points to, if it is in the record."""
        if not isinstance(reference, str) or not reference:
            return None
        if reference.startswith("#"):
            holder = context.container or context if context else None
            return holder.contained.get(reference[1:]) if holder else None
        parts = [p for p in reference.split("/_history/")[0].split("/") if p]
        if len(parts) < 2:
            return None
        return self._by_ref.get(f"{parts[-2]}/{parts[-1]}")

    def patient_id(self) -> str | None:
        return self.patient.raw.get("id") if self.patient else None

    def _about_patient(self, entry: Entry) -> bool:
        pid = self.patient_id()
        if not pid:
            return True
        ref = raw_field(entry.raw, "subject", "reference") or raw_field(
            entry.raw, "patient", "reference"
        )
        if not isinstance(ref, str):
            return True
        parts = [p for p in ref.split("/_history/")[0].split("/") if p]
        if len(parts) >= 2 and parts[-2] == "Patient" and parts[-1] != pid:
            self.warnings.append(f"{entry.ref}: about {ref}, not Patient/{pid}; ignored")
            return False
        return True


def _contained(raw: dict[str, Any]) -> list[object]:
    contained = raw.get("contained")
    return contained if isinstance(contained, list) else []


def _describe(exc: ValidationError) -> str:
    errors = exc.errors()
    first = errors[0]
    path = ""
    for part in first.get("loc", ()):
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    msg = plain_message(first)
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{path or 'resource'}: {msg}{more}"
