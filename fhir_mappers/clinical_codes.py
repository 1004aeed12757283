"""Code tables for diagnoses, symptoms, functional syndromes, resections and adjuvant drugs
(clinical.md §1, §3), as data with what verification found.

Where a code could not be confirmed with the search tool it is either left out (text matching
covers the concept) or marked "spec-listed, not confirmed here".
"""

from __future__ import annotations

from dataclasses import dataclass

from fhir_mappers.codes import CPT, RXNORM, SNOMED, Code, keys
from scoring.inputs import PrimarySite


@dataclass(frozen=True)
class DiagnosisRule:
    """An ICD-10-CM code prefix and what it says about the tumour."""

    prefix: str
    site: PrimarySite | None
    poorly_differentiated: bool | None
    note: str = ""


# ICD-10-CM (CMS tabular, FY2014-2026; code existence confirmed in a CMS code listing found by
# the search tool: C7A.025, C7A.026, C7A.029, C7A.090-096, C7B.00-09). Longest prefix wins.
DIAGNOSIS_RULES: tuple[DiagnosisRule, ...] = (
    DiagnosisRule("C25.4", PrimarySite.PANCREAS, None),  # endocrine pancreas (spec)
    DiagnosisRule("C7A.01", PrimarySite.OTHER_GEP, False),  # carcinoid: duodenum..small bowel
    DiagnosisRule("C7A.02", PrimarySite.OTHER_GEP, False),  # appendix, colon, rectum
    DiagnosisRule("C7A.092", PrimarySite.OTHER_GEP, False),  # stomach
    DiagnosisRule("C7A.095", PrimarySite.OTHER_GEP, False),  # midgut, unspecified
    DiagnosisRule("C7A.096", PrimarySite.OTHER_GEP, False),  # hindgut, unspecified
    DiagnosisRule("C7A.090", None, False, "bronchus/lung: not a GEP site"),
    DiagnosisRule("C7A.091", None, False, "thymus: not a GEP site"),
    DiagnosisRule("C7A.093", None, False, "kidney: not a GEP site"),
    DiagnosisRule("C7A.0", None, False),  # unspecified site / foregut / other sites
    DiagnosisRule("C7A.1", None, True),  # malignant poorly differentiated NET (NEC)
    DiagnosisRule("C7A.8", None, None),  # other malignant NET
    DiagnosisRule("D3A.01", PrimarySite.OTHER_GEP, False),
    DiagnosisRule("D3A.02", PrimarySite.OTHER_GEP, False),
    DiagnosisRule("D3A.092", PrimarySite.OTHER_GEP, False),
    DiagnosisRule("D3A.095", PrimarySite.OTHER_GEP, False),
    DiagnosisRule("D3A.096", PrimarySite.OTHER_GEP, False),
    DiagnosisRule("D3A.090", None, False, "bronchus/lung: not a GEP site"),
    DiagnosisRule("D3A.091", None, False, "thymus: not a GEP site"),
    DiagnosisRule("D3A.093", None, False, "kidney: not a GEP site"),
    DiagnosisRule("D3A", None, False),
)

# ICD-O-3 morphology (WHO ICD-O-3.2), system http://terminology.hl7.org/CodeSystem/icd-o-3.
# 8246/3 "Neuroendocrine carcinoma, NOS" confirmed in a FHIR generator; the others are spec-listed
# or from ICD-O-3.2 and not separately confirmed here.
MORPHOLOGY_WELL_DIFFERENTIATED = frozenset({"8240/3", "8249/3", "8150/3"})
MORPHOLOGY_NEC = frozenset({"8041/3", "8013/3"})  # small cell, large cell NEC
# 8246/3 "Neuroendocrine carcinoma, NOS": clinical.md §3 lists it among accepted NET diagnoses,
# and records coded before WHO 2010 used it for well-differentiated tumours too. It settles
# neither differentiation: excluding the patient as NEC would silence surveillance advice.
MORPHOLOGY_DIFFERENTIATION_UNSTATED = frozenset({"8246/3"})
MORPHOLOGY_FUNCTIONAL = frozenset({"8151", "8152", "8153", "8155", "8156"})  # any behaviour
MORPHOLOGY_NET = (
    MORPHOLOGY_WELL_DIFFERENTIATED
    | MORPHOLOGY_NEC
    | MORPHOLOGY_DIFFERENTIATION_UNSTATED
    | {f"{m}/3" for m in MORPHOLOGY_FUNCTIONAL}
)

NET_TEXT = (
    r"neuroendocrine|carcinoid|islet cell|\bp?an?net\b|insulinoma|gastrinoma|glucagonoma|"
    r"somatostatinoma|vipoma"
)
NEC_TEXT = (
    r"poorly[- ]differentiated|small[- ]cell carcinoma|large[- ]cell neuroendocrine|\bnec\b|"
    r"neuroendocrine carcinoma"
)
WELL_DIFFERENTIATED_TEXT = r"well[- ]differentiated|\bnet\b|carcinoid|neuroendocrine tumou?r"
PANCREAS_TEXT = r"pancrea|islet cell"
OTHER_GEP_TEXT = (
    r"stomach|gastric|duoden|jejun|ile(um|al)|small (bowel|intestine)|append|colon|colonic|"
    r"c(a)?ecum|cecal|rect(um|al)|sigmoid|midgut|hindgut"
)

# Functional syndromes. SNOMED codes are spec-listed; not confirmed with the search tool.
FUNCTIONAL = keys(
    Code(SNOMED, "20955008", "Insulinoma"),
    Code(SNOMED, "19756007", "Gastrinoma"),
    Code(SNOMED, "66515009", "Glucagonoma"),
    Code(SNOMED, "128643000", "Somatostatinoma"),
    Code(SNOMED, "31131002", "VIPoma"),
)
FUNCTIONAL_TEXT = (
    r"insulinoma|gastrinoma|glucagonoma|somatostatinoma|vipoma|zollinger|carcinoid syndrome|"
    r"(?<!non)(?<!non-)(?<!non )\bfunctioning\b|"
    r"(?<!non)(?<!non-)(?<!non )\bfunctional (net|tumou?r|pannet)"
)
# No SNOMED code for "non-functioning" could be confirmed: text only.
NON_FUNCTIONING_TEXT = r"non[- ]?function(ing|al)"

# Symptoms at presentation (Zaidi RRS): jaundice, abdominal pain, GI bleeding.
SYMPTOMS = keys(
    Code(SNOMED, "18165001", "Jaundice"),  # confirmed in a SNOMED symptom table
    Code(SNOMED, "21522001", "Abdominal pain"),  # confirmed in several code lists
    Code(SNOMED, "74474003", "Gastrointestinal hemorrhage"),  # confirmed (CQL, code lists)
    Code(SNOMED, "405729008", "Hematochezia"),  # same symptom table as 18165001
)
# ICD-10-CM: R17 jaundice; R10.x abdominal pain except R10.2 pelvic/perineal; K92.0-K92.2 bleeding
SYMPTOM_ICD10_PREFIXES = (
    "R17",
    "R10.0",
    "R10.1",
    "R10.3",
    "R10.8",
    "R10.9",
    "K92.0",
    "K92.1",
    "K92.2",
)
SYMPTOM_TEXT = (
    r"jaundice|icterus|abdominal pain|epigastric pain|\bgi bleed|"
    r"gastrointestinal (bleed|h(a)?emorrh)|mel(a)?ena|h(a)?ematochezia|h(a)?ematemesis"
)
ASYMPTOMATIC = keys(
    Code(SNOMED, "84387000", "Asymptomatic (finding)"),  # confirmed in several value sets
)
# No SNOMED "incidental finding" code could be confirmed: text only.
ASYMPTOMATIC_TEXT = (
    r"asymptomatic|incidental(ly)? (finding|found|discovered|detected)|incidentaloma"
)

# Distant metastasis (out of scope at surgery): ICD-10-CM C7B.0x secondary carcinoid (C7B.02
# liver), C7B.8 other secondary NET, C78.7 secondary malignant neoplasm of liver.
METASTASIS_ICD10_PREFIXES = ("C7B.0", "C7B.8", "C78.7")
METASTASIS_TEXT = r"(liver|hepatic) metasta|metasta\w* (to|of|in) (the )?liver|distant metasta"
NEGATION_TEXT = r"\bno\b|\bwithout\b|\bnegative\b|ruled out|\bfree of\b"

# Resections. CPT 48140 appears in the shared test data and the spec; the other 481xx codes are
# the AMA CPT pancreatectomy family and were not confirmed with the search tool, so text matching
# (below) is the main route and these only add to it.
RESECTION = keys(
    Code(CPT, "48140", "Pancreatectomy, distal subtotal, without pancreaticojejunostomy"),
    Code(CPT, "48145", "Pancreatectomy, distal subtotal, with pancreaticojejunostomy"),
    Code(CPT, "48146", "Pancreatectomy, distal, near-total"),
    Code(CPT, "48150", "Pancreatectomy, proximal subtotal (Whipple)"),
    Code(CPT, "48152", "Pancreatectomy, proximal subtotal, without pancreatojejunostomy"),
    Code(CPT, "48153", "Pancreatectomy, proximal subtotal, pylorus-sparing Whipple"),
    Code(CPT, "48154", "Pancreatectomy, pylorus-sparing Whipple, without pancreatojejunostomy"),
    Code(CPT, "48155", "Pancreatectomy, total"),
    Code(CPT, "48120", "Excision of lesion of pancreas (enucleation)"),
)
RESECTION_TEXT = (
    r"pancreatectomy|pancreat(ic)?oduodenectomy|whipple|enucleation|"
    r"(pancrea\w*|gastric|bowel|intestin\w*|ileal|jejunal|duodenal|rectal|colonic|segmental) "
    r"resection|"
    r"resection of (the )?(pancrea|stomach|small|ileum|jejunum|duoden|colon|rectum|append)|"
    r"gastrectomy|enterectomy|ileectomy|jejunectomy|duodenectomy|ileoc(a)?ecectomy|hemicolectomy|"
    r"colectomy|append(e|i)ctomy|anterior resection|proctectomy|transanal excision|"
    r"endoscopic (mucosal resection|submucosal dissection)"
)
NOT_CURATIVE_TEXT = r"biopsy|palliative|debulking|cytoreduct|bypass|drainage|stent"
SPECIMEN_RESECTION_TEXT = RESECTION_TEXT + r"|resection|excision|\w+ectomy"

# Adjuvant therapy (Zheng LMS). RxNorm ingredient codes confirmed against a third-party table
# citing NIH RxNav: everolimus 141704, sunitinib 357977, capecitabine 194000, temozolomide 37776.
# Octreotide, lanreotide and lutetium Lu 177 dotatate RxCUIs could not be confirmed: names only.
DRUG_CLASSES: dict[str, tuple[frozenset[tuple[str, str]], str]] = {
    "somatostatin analogue": (
        frozenset(),
        r"octreotide|lanreotide|pasireotide|sandostatin|somatuline|mycapssa|signifor",
    ),
    "everolimus": (keys(Code(RXNORM, "141704", "everolimus")), r"everolimus|afinitor"),
    "sunitinib": (keys(Code(RXNORM, "357977", "sunitinib")), r"sunitinib|sutent"),
    "capecitabine": (keys(Code(RXNORM, "194000", "capecitabine")), r"capecitabine|xeloda"),
    "temozolomide": (keys(Code(RXNORM, "37776", "temozolomide")), r"temozolomide|temodar|temodal"),
    "PRRT": (
        frozenset(),
        r"lutetium|lu[- ]?177|177[- ]?lu|dotatate|lutathera|\bprrt\b|peptide receptor radionuclide",
    ),
}
# Short-acting octreotide is routine after pancreatectomy to prevent pancreatic fistula; only
# long-acting forms or an SSA linked to the tumour count as adjuvant (conservative reading).
LONG_ACTING_SSA_TEXT = r"lanreotide|somatuline|\blar\b|depot|autogel|long[- ]acting|pasireotide"
ORAL_PAIR = ("capecitabine", "temozolomide")  # CAPTEM counts only as the pair
