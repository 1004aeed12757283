"""Whose data is a resource? (issue 11.5: data of another patient must never be scored.)

Every resource of a patient-data type must name the record's Patient in its subject (or
`patient`) element. Accepted spellings of that reference:
- relative `Patient/<id>` (with or without `/_history/<v>`);
- the Patient's Bundle `fullUrl` (`urn:uuid:...` as Synthea and transaction Bundles write it);
- an absolute URL ending in `/Patient/<id>` with the same id, and, when the record's server base
  is known (the hook's `fhirServer`, or the base of the Patient's own absolute `fullUrl`), on
  that base.
A subject given only by identifier or display, a Group, another id or another server is not the
patient: the resource is not used. A contained resource without a subject of its own belongs to
its container's subject. Types not listed in `SUBJECT_ELEMENT` (Practitioner, Organization,
Medication, Location, ...) are not patient data and are not checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fhir_mappers.quoting import quoted

# Patient-compartment element per resource type (FHIR R4 CompartmentDefinition "patient",
# hl7.org/fhir/R4/compartmentdefinition-patient.html), for the types the mappers read or that
# carry clinical facts.
SUBJECT_ELEMENT: dict[str, str] = {
    "Observation": "subject",
    "Condition": "subject",
    "Procedure": "subject",
    "DiagnosticReport": "subject",
    "Specimen": "subject",
    "MedicationRequest": "subject",
    "MedicationStatement": "subject",
    "MedicationAdministration": "subject",
    "MedicationDispense": "subject",
    "ImagingStudy": "subject",
    "ServiceRequest": "subject",
    "Encounter": "subject",
    "CarePlan": "subject",
    "ClinicalImpression": "subject",
    "DocumentReference": "subject",
    "QuestionnaireResponse": "subject",
    "AllergyIntolerance": "patient",
    "Immunization": "patient",
    "FamilyMemberHistory": "patient",
}
# Specimen.subject is 0..1 in R4 and a Specimen is read only through a reference from one of the
# patient's own Observations or reports, so a Specimen without a subject is accepted (one WITH a
# subject must still name the patient).
SUBJECT_OPTIONAL = frozenset({"Specimen"})


@dataclass(frozen=True, init=False)
class PatientIdentity:
    """How the record's Patient may be referenced."""

    patient_id: str
    full_urls: frozenset[str] = frozenset()
    bases: frozenset[str] = frozenset()  # known server bases, without a trailing "/"
    # "Patient/<id>", the usual spelling of a reference to it
    _relative: str = field(default="", repr=False, compare=False)

    def __init__(
        self,
        patient_id: str,
        full_urls: frozenset[str] = frozenset(),
        bases: frozenset[str] = frozenset(),
    ) -> None:
        # the frozen dataclass's __init__ (an object.__setattr__ per field) in one step, one
        # identity per record: the instance dict written directly, as `concepts.Concept` does
        self.__dict__.update(
            patient_id=patient_id,
            full_urls=full_urls,
            bases=bases,
            _relative=f"Patient/{patient_id}",
        )

    @classmethod
    def of(cls, patient_id: str, full_url: str | None, fhir_base: str | None) -> PatientIdentity:
        if not full_url and not fhir_base:  # the usual prefetch: only the id
            return cls(patient_id)
        bases = [fhir_base.rstrip("/")] if fhir_base else []
        if full_url:
            tail = f"/Patient/{patient_id}"
            if patient_id and "://" in full_url and full_url.rstrip("/").endswith(tail):
                bases.append(full_url.rstrip("/")[: -len(tail)])
        urls = frozenset((full_url,)) if full_url else frozenset()
        return cls(patient_id, urls, frozenset(bases))

    def is_referenced_by(self, reference: str) -> bool:
        if reference in self.full_urls:
            return True
        if not self.patient_id:
            return False
        if reference == self._relative:
            return True  # the usual spelling, which the cuts below leave as it is
        ref = reference.split("/_history/")[0].rstrip("/")
        if ref == self._relative:
            return True
        tail = f"/Patient/{self.patient_id}"
        if "://" not in ref or not ref.endswith(tail):
            return False
        return not self.bases or ref[: -len(tail)] in self.bases


def ownership_problem(
    raw: dict[str, object], identity: PatientIdentity | None, inherited: bool | None
) -> str | None:
    """Why this resource is not the patient's (None when it is, or is not patient data).

    `inherited` is the container's verdict for a contained resource (None for a top-level one).
    """
    element = SUBJECT_ELEMENT.get(str(raw.get("resourceType")))
    if element is None:
        return None
    holder = raw.get(element)
    reference = holder.get("reference") if isinstance(holder, dict) else None
    if holder is None:
        if inherited is not None:
            return None if inherited else "its container is not the patient's"
        if raw.get("resourceType") in SUBJECT_OPTIONAL:
            return None
        return f"no {element}: cannot be tied to the patient"
    if identity is None:
        return "the record has no Patient to tie it to"
    if not isinstance(reference, str) or not reference:
        return f"{element} has no reference (identifier or display only)"
    if not identity.is_referenced_by(reference):
        return f"about {quoted(reference)}, not Patient/{quoted(identity.patient_id, 64)}"
    return None
