"""Codes for draft surveillance orders (clinical.md §4), as data with their sources.

LOINC codes and displays, checked against public listings:
- 79103-8 "CT Abdomen W contrast IV": HL7 IPS IG example
  https://hl7.org/fhir/uv/ips/2.0.1/en/Observation-ips-example-imaging-1.json.html
  (LOINC's name carries no "multiphasic"; the multiphasic protocol goes in `text`, clinical.md §4).
- 24557-1 "MR Abdomen WO and W contrast IV": LOINC Imaging Document Codes value set
  1.3.6.1.4.1.12009.10.2.5, https://www.hl7.org/fhir/us/ccda/ValueSet-1.3.6.1.4.1.12009.10.2.5.html
- 9811-1 "Chromogranin A [Mass/volume] in Serum or Plasma" (short name CgA SerPl-mCnc).
ServiceRequest.category: SNOMED CT example value set
  https://hl7.org/fhir/R4/valueset-servicerequest-category.html (363679005 Imaging,
  108252007 Laboratory procedure).
Somatostatin-receptor PET is deliberately absent: never for routine surveillance (clinical.md §4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"


class ImagingModality(StrEnum):
    """The two surveillance imaging alternatives clinical.md §4 offers."""

    CT = "ct"
    MRI = "mri"


@dataclass(frozen=True)
class Coding:
    system: str
    code: str
    display: str

    def as_fhir(self) -> dict[str, str]:
        return {"system": self.system, "code": self.code, "display": self.display}


@dataclass(frozen=True)
class OrderableService:
    """What a draft ServiceRequest asks for: its code, category and a human-readable name."""

    coding: Coding
    category: Coding
    text: str

    # Fresh dicts on every call (a caller may edit its draft), built in one expression: a
    # CarePlan repeats the code in each of its ~10 activities.
    def code_as_fhir(self) -> dict[str, object]:
        coding = self.coding
        return {
            "coding": [{"system": coding.system, "code": coding.code, "display": coding.display}],
            "text": self.text,
        }

    def category_as_fhir(self) -> list[dict[str, object]]:
        return [{"coding": [self.category.as_fhir()], "text": self.category.display}]


CATEGORY_IMAGING = Coding(SNOMED, "363679005", "Imaging")
CATEGORY_LABORATORY = Coding(SNOMED, "108252007", "Laboratory procedure")

IMAGING_SERVICES: Mapping[ImagingModality, OrderableService] = MappingProxyType(
    {
        ImagingModality.CT: OrderableService(
            coding=Coding(LOINC, "79103-8", "CT Abdomen W contrast IV"),
            category=CATEGORY_IMAGING,
            text="Multiphasic CT abdomen with IV contrast",
        ),
        ImagingModality.MRI: OrderableService(
            coding=Coding(LOINC, "24557-1", "MR Abdomen WO and W contrast IV"),
            category=CATEGORY_IMAGING,
            text="MRI abdomen without and with IV contrast",
        ),
    }
)

CHROMOGRANIN_A = OrderableService(
    coding=Coding(LOINC, "9811-1", "Chromogranin A [Mass/volume] in Serum or Plasma"),
    category=CATEGORY_LABORATORY,
    text="Serum chromogranin A",
)
