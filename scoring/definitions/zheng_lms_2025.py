"""Liver Metastasis Score, Zheng et al. 2025 — factors only (clinical.md §2.3).

Zheng QX, ..., Pawlik TM, Yang T. Ann Surg Oncol 2025;32(2):1176-1186,
doi 10.1245/s10434-024-16389-0, PMID 39480603. Factors and hazard ratios are published; points,
range and cut-offs were NOT confirmed, so the score ships without weights.
"""

from scoring.definition import DefinitionStatus, FactorDefinition, Population, ScoreDefinition

ZHENG_LMS_2025 = ScoreDefinition(
    id="zheng-lms-2025",
    version="2025.1",
    title="Zheng 2025 Liver Metastasis Score (GEP-NET)",
    citation="Zheng QX et al. Ann Surg Oncol 2025;32(2):1176-1186. doi:10.1245/s10434-024-16389-0",
    citation_url="https://doi.org/10.1245/s10434-024-16389-0",
    population=Population.GEP_NET,
    status=DefinitionStatus.FACTORS_ONLY,
    factors=(
        FactorDefinition("ki67_3_to_20", "Ki-67 3-20 %", exclusive_group="ki67"),
        FactorDefinition("ki67_gt_20", "Ki-67 > 20 %", exclusive_group="ki67"),
        FactorDefinition("vascular_invasion", "Vascular invasion"),
        FactorDefinition("node_positive", "Lymph-node metastasis"),
        FactorDefinition("no_adjuvant_therapy", "No adjuvant therapy"),
    ),
)
