"""Recurrence Risk Score, Zaidi et al. 2019 — fully specified (clinical.md §2.1).

Zaidi MY et al., "A Novel Validated Recurrence Risk Score to Guide a Pragmatic Surveillance
Strategy After Resection of Pancreatic Neuroendocrine Tumors: An International Study of 1006
Patients", Ann Surg 2019 (US Neuroendocrine Tumor Study Group).
"""

from scoring.assessment import Tier
from scoring.definition import (
    DefinitionStatus,
    FactorDefinition,
    Population,
    ScoreDefinition,
    TierBand,
)

ZAIDI_RRS_2019 = ScoreDefinition(
    id="zaidi-rrs-2019",
    version="2019.1",
    title="Zaidi 2019 Recurrence Risk Score (PanNET)",
    citation="Zaidi MY et al. Ann Surg 2019; US Neuroendocrine Tumor Study Group",
    citation_url="https://pubmed.ncbi.nlm.nih.gov/?term=Zaidi+recurrence+risk+score+pancreatic+neuroendocrine+Ann+Surg+2019",
    population=Population.PANNET_NONFUNCTIONING,
    status=DefinitionStatus.VALIDATED,
    factors=(
        FactorDefinition(
            "symptomatic",
            "Symptomatic at presentation (jaundice, abdominal pain, GI bleeding)",
            points=1,
        ),
        FactorDefinition("tumor_size_gt_2cm", "Tumour size > 2 cm", points=2),
        FactorDefinition("ki67_3_to_20", "Ki-67 3-20 %", points=1, exclusive_group="ki67"),
        FactorDefinition("ki67_gt_20", "Ki-67 > 20 %", points=6, exclusive_group="ki67"),
        FactorDefinition("node_positive", "Lymph-node positive", points=1),
    ),
    tiers=(
        TierBand(Tier.LOW, 0, 2),
        TierBand(Tier.INTERMEDIATE, 3, 5),
        TierBand(Tier.HIGH, 6, 10),
    ),
)
