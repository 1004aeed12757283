"""Node-negative PanNET recurrence score, Ventin et al. 2025 — factors only (clinical.md §2.2).

Ventin M, Arya S, ..., Ferrone CR. JAMA Surg, December 2025. The four factors are published; the
points per factor and the tier cut-offs were NOT confirmed, so the score ships without weights.
A site configuration may supply them; they must add up to the published 13-point total.
"""

from scoring.definition import DefinitionStatus, FactorDefinition, Population, ScoreDefinition

VENTIN_2025 = ScoreDefinition(
    id="ventin-2025",
    version="2025.1",
    title="Ventin 2025 node-negative PanNET recurrence score",
    citation="Ventin M, Arya S, ..., Ferrone CR. JAMA Surg, December 2025",
    citation_url="https://pubmed.ncbi.nlm.nih.gov/?term=Ventin+Ferrone+pancreatic+neuroendocrine+recurrence+JAMA+Surg+2025",
    population=Population.PANNET_PN0_8_NODES,
    status=DefinitionStatus.FACTORS_ONLY,
    factors=(
        FactorDefinition("male_sex", "Male sex"),
        FactorDefinition("tumor_size_ge_3cm", "Tumour size >= 3 cm"),
        FactorDefinition("who_grade_ge_2", "WHO grade >= 2"),
        FactorDefinition("lvi_present", "Lymphovascular invasion present"),
    ),
    required_max_points=13,
)
