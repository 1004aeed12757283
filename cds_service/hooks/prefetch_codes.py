"""The Observation codes the `observations` prefetch template asks for, as data with sources.

The mappers read these Observations wherever they sit in the record, with or without a category
(the MII oncology module sends its TNM, L/V/Pn, grading and distant-metastasis Observations
without one, Synthea files TNM categories under `imaging`, mCODE history of metastatic cancer
under `social-history`), so they are searched by code. Observations that carry only text or an
EHR-local code are reached through their DiagnosticReport instead (the `reportResults` template)
or, for a site's own codes, through its `extra_codes` (clinical.md §6c). Every code the mappers
read as Observation.code (`fhir_mappers.observation_codes`) is asked for: those not listed here
with an IG source are added from the mappers' tables (their sources are noted there).
"""

from __future__ import annotations

from dataclasses import dataclass

from fhir_mappers import observation_codes
from fhir_mappers.observation_codes import GROUPERS

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
NCIT = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"


@dataclass(frozen=True)
class SearchedCode:
    system: str
    code: str
    meaning: str
    source: str

    @property
    def token(self) -> str:
        return f"{self.system}|{self.code}"


_SPEC = "clinical.md §3 table"
_MCODE = "HL7/fhir-mCODE-ig"
_MII = "medizininformatik-initiative/kerndatensatzmodul-onkologie fsh-generated/resources"
_CHCRL = "ahdis/ch-crl input/fsh"
_CH_OLD = f"{_CHCRL}/content-until-v0.2.1/instances"
_CH_NEW = f"{_CHCRL}/content-v0.9.0-v1.0.0/dataelements"
_SYNTHEA = "synthetichealth/synthea src/main/resources/modules/breast_cancer/tnm_diagnosis.json"

_LISTED: tuple[SearchedCode, ...] = (
    SearchedCode(LOINC, "33728-7", "tumour greatest dimension", _SPEC),
    SearchedCode(
        LOINC, "21889-1", "tumour size panel", f"{_SPEC}; {_MCODE} input/fsh/SD_TumorSize.fsh"
    ),
    SearchedCode(
        LOINC,
        "33732-9",
        "histologic grade",
        f"{_SPEC}; {_MII}/Observation-mii-exa-onko-grading-1.json",
    ),
    SearchedCode(LOINC, "29593-1", "Ki-67 index", _SPEC),
    SearchedCode(LOINC, "33761-8", "lymphovascular invasion", _SPEC),
    SearchedCode(LOINC, "21894-1", "regional nodes examined", _SPEC),
    SearchedCode(LOINC, "21893-3", "regional nodes positive", _SPEC),
    SearchedCode(LOINC, "21900-6", "pN category", _SPEC),
    SearchedCode(LOINC, "92837-4", "perineural invasion", _SPEC),
    SearchedCode(LOINC, "9811-1", "chromogranin A", "clinical.md §4"),
    SearchedCode(LOINC, "21901-4", "pM category", "clinical.md §1"),
    SearchedCode(
        LOINC,
        "21907-1",
        "cM category",
        f"clinical.md §1; {_SYNTHEA}",
    ),
    SearchedCode(
        LOINC,
        "21906-3",
        "cN category (Synthea's N)",
        _SYNTHEA,
    ),
    SearchedCode(
        LOINC,
        "59847-4",
        "histology ICD-O-3",
        f"{_MII}/Observation-mii-exa-onko-histologie-icdo3.json",
    ),
    SearchedCode(
        LOINC,
        "31206-6",
        "histologic behaviour and type ICD-O-3",
        f"{_MCODE} input/fsh/SD_Histology.fsh",
    ),
    SearchedCode(
        LOINC,
        "77753-2",
        "tumour morphology panel (hasMember grade)",
        f"{_MCODE} input/fsh/SD_Histology.fsh",
    ),
    SearchedCode(
        LOINC, "75325-1", "symptom", "HL7/US-Core (symptom Observations); clinical.md §3 symptoms"
    ),
    SearchedCode(
        NCIT, "C18000", "histologic grade (mCODE)", f"{_MCODE} input/fsh/SD_Histology.fsh"
    ),
    SearchedCode(
        SNOMED,
        "371494008",
        "pN category observable",
        f"{_SPEC}; {_MCODE} input/fsh/EX_ExtendedExample.fsh",
    ),
    SearchedCode(
        SNOMED, "399534004", "cN category observable", f"{_MCODE} input/fsh/EX_ExtendedExample.fsh"
    ),
    SearchedCode(
        SNOMED,
        "371497001",
        "pM category observable",
        f"clinical.md §1; {_MCODE} input/fsh/EX_ExtendedExample.fsh",
    ),
    SearchedCode(
        SNOMED,
        "399387003",
        "cM category observable",
        f"clinical.md §1; {_MII}/Observation-mii-exa-onko-tnm-m-kategorie-cM1.json",
    ),
    SearchedCode(
        SNOMED,
        "399588009",
        "pathologic TNM stage grouping (hasMember T/N/M)",
        f"{_MII}/Observation-mii-exa-onko-tnm-klassifikation-uT2a2pN0023i-sncM1.json",
    ),
    SearchedCode(
        SNOMED,
        "399537006",
        "clinical TNM stage grouping (hasMember T/N/M)",
        f"{_MCODE} input/fsh/EX_ExtendedExample.fsh",
    ),
    SearchedCode(
        SNOMED,
        "395715009",
        "UICC L category (lymphatic invasion)",
        f"{_MII}/Observation-mii-exa-onko-tnm-l-kategorie-L1.json",
    ),
    SearchedCode(
        SNOMED,
        "371493002",
        "UICC V category (venous invasion)",
        f"{_MII}/Observation-mii-exa-onko-tnm-v-kategorie-V1.json",
    ),
    SearchedCode(
        SNOMED,
        "371513001",
        "UICC Pn category (perineural invasion)",
        f"{_MII}/Observation-mii-exa-onko-tnm-pn-kategorie-Pn1.json",
    ),
    SearchedCode(
        SNOMED,
        "385421009",
        "site of distant metastasis (MII Fernmetastasen)",
        f"{_MII}/Observation-mii-exa-onko-fernmetastasen-1.json",
    ),
    SearchedCode(
        SNOMED,
        "396432002",
        "course of disease (MII Verlauf: recurrence)",
        f"{_MII}/Observation-mii-exa-onko-verlauf-tumor.json",
    ),
    SearchedCode(
        SNOMED,
        "1098951000119108",
        "history of cancer metastatic to liver",
        f"{_MCODE} input/fsh/EX_Basic.fsh",
    ),
    SearchedCode(
        SNOMED,
        "1287652008",
        "history of metastatic malignant neoplasm",
        f"{_MCODE} input/fsh/EX_Basic.fsh",
    ),
    SearchedCode(
        LOINC,
        "86255-7",
        "primary diagnosis ICD code (registry)",
        f"{_CH_OLD}/ICD-10.fsh",
    ),
    SearchedCode(
        LOINC,
        "59848-2",
        "morphology ICD-O-3",
        f"{_CH_OLD}/ICD-O-3-Morphology-20181215.fsh",
    ),
    SearchedCode(
        LOINC,
        "98248-8",
        "metastasis at diagnosis indicator",
        f"{_CH_NEW}/CHCRLObservationMetastasesAtDiagnosisIndicator.fsh",
    ),
    SearchedCode(
        LOINC,
        "33733-7",
        "sites of distant metastasis",
        f"{_CH_NEW}/CHCRLObservationTopographyMetastasesAtDiagnosis.fsh",
    ),
    SearchedCode(
        LOINC,
        "97509-4",
        "cancer disease progression / status (recurrence)",
        f"{_CH_NEW}/course-of-disease/CHCRLObservationTypeRecurrenceTransformation.fsh",
    ),
    SearchedCode(
        SNOMED,
        "277060007",
        "lymphatic tumour invasion status",
        f"{_CH_OLD}/LymphaticInvasion-20181215.fsh",
    ),
    SearchedCode(
        SNOMED,
        "277061006",
        "venous tumour invasion status",
        f"{_CH_OLD}/VenousInvasion-20181215.fsh",
    ),
    SearchedCode(
        "http://fhir.ch/ig/ch-crl/CodeSystem/nkrs-variables",
        "4.40",
        "pathological tumour size (Swiss registry)",
        f"{_CH_NEW}/CHCRLObservationPathologicalTumourSize.fsh",
    ),
    SearchedCode(
        SNOMED,
        "18165001",
        "jaundice (symptom Observation)",
        "fhir_mappers/clinical_codes.py SYMPTOMS",
    ),
    SearchedCode(
        SNOMED,
        "21522001",
        "abdominal pain (symptom Observation)",
        "fhir_mappers/clinical_codes.py SYMPTOMS",
    ),
    SearchedCode(
        SNOMED,
        "74474003",
        "GI haemorrhage (symptom Observation)",
        "fhir_mappers/clinical_codes.py SYMPTOMS",
    ),
    SearchedCode(
        SNOMED,
        "405729008",
        "haematochezia (symptom Observation)",
        "fhir_mappers/clinical_codes.py SYMPTOMS",
    ),
    SearchedCode(
        SNOMED,
        "84387000",
        "asymptomatic (Observation)",
        "fhir_mappers/clinical_codes.py ASYMPTOMATIC",
    ),
)


def _read_by_mappers(listed: tuple[SearchedCode, ...]) -> tuple[SearchedCode, ...]:
    """Every code the mappers read as Observation.code (`fhir_mappers.observation_codes`) that
    the list above does not name yet, so the template cannot drift from the mappers."""
    have = {(c.system, c.code) for c in listed}
    tables = {**observation_codes.READ_BY_MAPPERS, "observation_codes.GROUPERS": GROUPERS}
    out: list[SearchedCode] = []
    for table, found in tables.items():
        module, name = table.split(".")
        for system, code in sorted(found - have):
            have.add((system, code))
            out.append(SearchedCode(system, code, name, f"fhir_mappers/{module}.py {name}"))
    return tuple(out)


OBSERVATION_CODES: tuple[SearchedCode, ...] = _LISTED + _read_by_mappers(_LISTED)

V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"

# Pathology reports, found by category or by code (a search cannot OR two parameters, so these
# are two templates). Their results and hasMember trees come with them through `_include`; all
# other reports (years of metabolic panels) are left out, so the search stays small.
PATHOLOGY_REPORT_CATEGORIES: tuple[SearchedCode, ...] = (
    SearchedCode(V2_0074, "SP", "Surgical Pathology", "HL7 v2 table 0074"),
    SearchedCode(
        V2_0074, "PAT", "Pathology (gross & histopath, not surgical)", "HL7 v2 table 0074"
    ),
    SearchedCode(V2_0074, "CP", "Cytopathology", "HL7 v2 table 0074"),
    SearchedCode(
        LOINC,
        "LP7839-6",
        "Pathology",
        "HL7/cancer-reporting input/fsh/instances/diagnosticreport-breast-invasive-carcinoma.fsh",
    ),
)
PATHOLOGY_REPORT_CODES: tuple[SearchedCode, ...] = (
    SearchedCode(
        LOINC,
        "60567-5",
        "Comprehensive pathology report panel",
        "HL7/US-Core lab reports; tests/data/cases",
    ),
    SearchedCode(
        LOINC,
        "60568-3",
        "Pathology synoptic report",
        "HL7/cancer-reporting (US Pathology DiagnosticReport); "
        + _MII
        + "/DiagnosticReport-mii-exa-onko-befund-1.json",
    ),
    SearchedCode(
        LOINC,
        "22637-3",
        "Pathology report final diagnosis Narrative",
        f"{_MCODE} input/fsh/EX_ExtendedExample.fsh",
    ),
    SearchedCode(
        LOINC,
        "11526-1",
        "Pathology study",
        "LOINC; Cerner pathology reports pair it with code set 72",
    ),
    SearchedCode(
        LOINC, "11529-5", "Surgical pathology study", "LOINC; EHR pathology reports mapped to LOINC"
    ),
)
