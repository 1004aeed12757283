"""Code tables for pathology, laboratory and imaging inputs (clinical.md §3, §4), as data.

Each entry carries, in the comment beside it, what verification found (search tool over public
FHIR IGs and code, 2025). "third-party" means seen only outside an HL7/LOINC publication.
Systems are compared after `canonical_system`, so OID spellings of the same system match.
"""

from __future__ import annotations

from dataclasses import dataclass

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
CPT = "http://www.ama-assn.org/go/cpt"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
DICOM = "http://dicom.nema.org/resources/ontology/DCM"
V3_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

# OIDs and legacy URLs senders use for the same code systems (FHIR R4 terminology pages).
_SYSTEM_ALIASES: dict[str, str] = {
    "urn:oid:2.16.840.1.113883.6.1": LOINC,
    "urn:oid:2.16.840.1.113883.6.96": SNOMED,
    "urn:oid:2.16.840.1.113883.6.90": ICD10CM,
    "urn:oid:2.16.840.1.113883.6.43.1": ICDO3,
    "http://hl7.org/fhir/sid/icd-o-3": ICDO3,
    "urn:oid:2.16.840.1.113883.6.12": CPT,
    "urn:oid:2.16.840.1.113883.6.88": RXNORM,
    "urn:oid:2.16.840.1.113883.6.8": UCUM,
    "urn:oid:1.2.840.10008.2.16.4": DICOM,
    "http://hl7.org/fhir/v3/ObservationInterpretation": V3_INTERPRETATION,
}


def canonical_system(system: str) -> str:
    return _SYSTEM_ALIASES.get(system, system)


@dataclass(frozen=True)
class Code:
    system: str
    code: str
    display: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.system, self.code)


def keys(*codes: Code) -> frozenset[tuple[str, str]]:
    return frozenset(c.key for c in codes)


# --- Observation codes (what is measured) -----------------------------------------------------
TUMOR_SIZE = keys(
    # mCODE TumorSize component and German MII onko maps use 33728-7 "Size.maximum dimension in
    # Tumor"; matches the spec.
    Code(LOINC, "33728-7", "Size.maximum dimension in Tumor"),
)
TUMOR_SIZE_PANEL = keys(
    # mCODE STU2 TumorSize profile: code 21889-1 "Size Tumor" with component 33728-7; matches.
    Code(LOINC, "21889-1", "Size Tumor"),
)
HISTOLOGIC_GRADE = keys(
    # mCODE / MII onko profiles fix code 33732-9 "Histology grade [Identifier] in Cancer
    # specimen"; matches.
    Code(LOINC, "33732-9", "Histology grade [Identifier] in Cancer specimen"),
)
KI67 = keys(
    # Spec flagged "third-party only". Found in the Lithuanian lab IG (build.fhir.org HL7LT
    # ig-lt-lab, Ki-67 example, unit %) and the HL7 US Breast Cancer IG draft profile
    # "Ki-67NuclearAntigen": "Cells.Ki-67 nuclear Ag/cells in Tissue by Immune stain"; confirmed.
    Code(LOINC, "29593-1", "Cells.Ki-67 nuclear Ag/cells in Tissue by Immune stain"),
)
NOT_KI67 = keys(
    # 85319-2 is "HER2 [Presence] in Breast cancer specimen by Immune stain" (MII onko FSH,
    # several IG value sets). One third-party file mislabels it as Ki-67: never read it as Ki-67.
    Code(LOINC, "85319-2", "HER2 [Presence] in Breast cancer specimen by Immune stain"),
)
LYMPHOVASCULAR_INVASION = keys(
    # Spec flagged "third-party only". Found in MII onko pathology FSH and a Dutch pathology IG:
    # "Venous + Lymphatic small vessel invasion in Specimen by CAP cancer protocols"; confirmed.
    Code(LOINC, "33761-8", "Venous + Lymphatic small vessel invasion in Specimen by CAP"),
)
NODES_EXAMINED = keys(
    # Spec flagged "third-party only". MII onko pathology FSH: "Regional lymph nodes examined
    # [#] Specimen" (German "Anzahl untersuchter Lymphknoten"); confirmed. Note: one third-party
    # generator swaps 21893-3/21894-1; the majority and the MII IG agree with this table.
    Code(LOINC, "21894-1", "Regional lymph nodes examined [#] Specimen"),
)
NODES_POSITIVE = keys(
    # Spec flagged "third-party only". FHIR example JSON and MII-based mappers: "Regional lymph
    # nodes positive [#] Specimen"; confirmed.
    Code(LOINC, "21893-3", "Regional lymph nodes positive [#] Specimen"),
)
PN_CATEGORY = keys(
    # mCODE TNMRegionalNodesCategory binds 21900-6 "Regional lymph nodes.pathology [Class]
    # Cancer" (hl7.org/fhir/us/mcode/STU3); confirmed.
    Code(LOINC, "21900-6", "Regional lymph nodes.pathology [Class] Cancer"),
    # MII onko / Chilean R2BO IGs: 371494008 "pN category (observable entity)"; confirmed.
    Code(SNOMED, "371494008", "pN category (observable entity)"),
)
M_CATEGORY = keys(
    # Third-party code lists (OMOP/mCODE mappers): 21901-4 pM (pathological) and 21907-1 M
    # (clinical). Used only to read M1 (metastatic at surgery) / M0.
    Code(LOINC, "21901-4", "Distant metastases.pathology [Class] Cancer"),
    Code(LOINC, "21907-1", "Distant metastases.clinical [Class] Cancer"),
)
PERINEURAL_INVASION = keys(
    # MII onko pathology FSH and French CI-SIS schematron: "Perineural invasion [Presence] in
    # Cancer specimen"; confirmed.
    Code(LOINC, "92837-4", "Perineural invasion [Presence] in Cancer specimen"),
)
CHROMOGRANIN_A = keys(
    # ARUP test 0080469 "Chromogranin A" lists component LOINC 9811-1 (ltd.aruplab.com);
    # confirmed as serum/plasma chromogranin A.
    Code(LOINC, "9811-1", "Chromogranin A [Mass/volume] in Serum or Plasma"),
)

# --- Answer codes -------------------------------------------------------------------------------
# mCODE HistologicGradeVS (and MII ConceptMap oBDS grading L/M/H): 1155708003 low, 1286893008
# intermediate, 1155707008 high. Read as G1/G2/G3 per clinical.md §3 (note: the MII map pairs
# them with "G1 or G2" / "G2 or G3" / "G3 or G4" in its own grading system).
GRADE_ANSWERS: dict[tuple[str, str], str] = {
    (SNOMED, "1155708003"): "G1",
    (SNOMED, "1286893008"): "G2",
    (SNOMED, "1155707008"): "G3",
}
PRESENT = keys(
    # 52101004 "Present (qualifier value)": MII onko, Dutch pathology IG; confirmed.
    Code(SNOMED, "52101004", "Present"),
)
ABSENT = keys(
    # 47492008 "Not seen (qualifier value)": MII onko questionnaire answers; confirmed.
    Code(SNOMED, "47492008", "Not seen"),
    # 2667000 "Absent (qualifier value)": third-party FHIR generators; confirmed.
    Code(SNOMED, "2667000", "Absent"),
    # 260415000 "Not detected": seen in a third-party pathology generator beside 52101004.
    Code(SNOMED, "260415000", "Not detected"),
)
# HL7 v3 ObservationInterpretation: H high, HH critical high, HU significantly high.
INTERPRETATION_HIGH = frozenset({(V3_INTERPRETATION, c) for c in ("H", "HH", "HU")})
INTERPRETATION_NOT_HIGH = frozenset({(V3_INTERPRETATION, c) for c in ("N", "L", "LL", "LU")})

# --- Abdominal CT/MRI (surveillance imaging, clinical.md §4) --------------------------------------
# Correction: the spec calls 79103-8 "multiphasic CT abdomen with contrast"; LOINC's name, as
# seen in several IG value sets, is "CT Abdomen W contrast IV" (not specific to multiphase).
# A few third-party files call it "CT Abdomen and Pelvis W contrast IV"; the majority do not.
IMAGING_MODALITY: dict[tuple[str, str], str] = {
    (LOINC, "79103-8"): "CT",  # CT Abdomen W contrast IV
    (LOINC, "36424-0"): "CT",  # CT Abdomen WO contrast (same value set as 79103-8)
    (LOINC, "36267-3"): "CT",  # CT Abdomen WO and W contrast IV (same value set)
    (LOINC, "36813-4"): "CT",  # CT Abdomen and Pelvis W contrast IV (several FHIR examples)
    (LOINC, "24557-1"): "MRI",  # MR Abdomen WO and W contrast IV (radiology code list)
    (LOINC, "36134-5"): "MRI",  # MR Abdomen W contrast IV (one third-party radiology map)
}
DICOM_MODALITY = {(DICOM, "CT"): "CT", (DICOM, "MR"): "MRI"}
