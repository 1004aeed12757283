"""Every Observation.code a mapper reads, as one table of the tables beside each reader.

Two users, so neither can drift from the mappers: the `observations` prefetch template asks for
every code here (`cds_service/hooks/prefetch_codes.py`), and `record.inputs_from_resources` has
an invalid Observation with one of these codes, or one that groups others (`hasMember`: TNM
classifications, CAP eCC sections), named in the warnings even when no mapper reaches it (the
index validates lazily, so an unused invalid resource would otherwise pass unmentioned).
A new code table read against Observation.code belongs here.
"""

from __future__ import annotations

from fhir_mappers import clinical_codes, codes, spread_codes
from fhir_mappers.codes import LOINC, SNOMED, Code, keys
from fhir_mappers.concepts import concept, items

READ_BY_MAPPERS: dict[str, frozenset[tuple[str, str]]] = {
    "codes.TUMOR_SIZE": codes.TUMOR_SIZE,
    "codes.TUMOR_SIZE_PANEL": codes.TUMOR_SIZE_PANEL,
    "codes.HISTOLOGIC_GRADE": codes.HISTOLOGIC_GRADE,
    "codes.KI67": codes.KI67,
    "codes.LYMPHOVASCULAR_INVASION": codes.LYMPHOVASCULAR_INVASION,
    "codes.LYMPHATIC_INVASION": codes.LYMPHATIC_INVASION,
    "codes.VENOUS_INVASION": codes.VENOUS_INVASION,
    "codes.PERINEURAL_INVASION": codes.PERINEURAL_INVASION,
    "codes.NODES_EXAMINED": codes.NODES_EXAMINED,
    "codes.NODES_POSITIVE": codes.NODES_POSITIVE,
    "codes.PN_CATEGORY": codes.PN_CATEGORY,
    "codes.CLINICAL_N_CATEGORY": codes.CLINICAL_N_CATEGORY,
    "codes.M_CATEGORY": codes.M_CATEGORY,
    "codes.CHROMOGRANIN_A": codes.CHROMOGRANIN_A,
    "spread_codes.M_CATEGORY_SNOMED": spread_codes.M_CATEGORY_SNOMED,
    "spread_codes.DISTANT_METASTASIS_SITE": spread_codes.DISTANT_METASTASIS_SITE,
    "spread_codes.METASTASIS_AT_DIAGNOSIS": spread_codes.METASTASIS_AT_DIAGNOSIS,
    "spread_codes.HISTORY_OF_METASTASIS": spread_codes.HISTORY_OF_METASTASIS,
    "spread_codes.DISEASE_STATUS": spread_codes.DISEASE_STATUS,
    "spread_codes.RECURRENCE_CODES": spread_codes.RECURRENCE_CODES,
    "clinical_codes.HISTOLOGY_OBSERVATION": clinical_codes.HISTOLOGY_OBSERVATION,
    "clinical_codes.DIAGNOSIS_OBSERVATION": clinical_codes.DIAGNOSIS_OBSERVATION,
    "clinical_codes.SYMPTOMS": clinical_codes.SYMPTOMS,
    "clinical_codes.ASYMPTOMATIC": clinical_codes.ASYMPTOMATIC,
}
ALL_READ: frozenset[tuple[str, str]] = frozenset().union(*READ_BY_MAPPERS.values())

# Groupers whose members the mappers read (hasMember), asked for so the members come along.
GROUPERS = keys(
    # MII onko TNM classification (fsh-generated/resources/
    # Observation-mii-exa-onko-tnm-klassifikation-uT2a2pN0023i-sncM1.json)
    Code(SNOMED, "399588009", "Pathologic TNM stage grouping"),
    # mCODE (HL7/fhir-mCODE-ig input/fsh/EX_ExtendedExample.fsh)
    Code(SNOMED, "399537006", "Clinical TNM stage grouping"),
    # mCODE tumour morphology panel with the grade as a member (input/fsh/SD_Histology.fsh)
    Code(LOINC, "77753-2", "Tumor morphology panel"),
)


_RELEVANT_CODES = ALL_READ | GROUPERS  # once, not per Observation


def clinically_relevant(raw: object) -> bool:
    """An Observation whose invalidity a user must be told of: a code the mappers read, or a
    grouper (TNM classification, checklist section) whose members they may read."""
    if not isinstance(raw, dict) or raw.get("resourceType") != "Observation":
        return False
    # `Concept.has_any`, as one C-level set test (no method call per Observation)
    if not _RELEVANT_CODES.isdisjoint(concept(raw.get("code")).codings):
        return True
    return bool(items(raw, "hasMember"))
