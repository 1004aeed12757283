"""Code and text tables for distant metastasis and recurrence (clinical.md §1), as data.

Every entry names where it was seen. Text patterns are linear (word-bounded literal
alternatives, bounded gaps, possessive quantifiers only); texts are lower-cased.
"""

from __future__ import annotations

from collections.abc import Iterable

from fhir_mappers.codes import CH_CRL_CS, LOINC, M_CATEGORY, SNOMED, Code, keys

# --- Secondary neoplasm Conditions -------------------------------------------------------------
# ICD-10 (CM, WHO and GM alike): C78 secondary malignant neoplasm of respiratory and digestive
# organs (C78.7 liver), C79 other and unspecified sites, and ICD-10-CM C7B.0x secondary
# carcinoid (C7B.02 liver) / C7B.8 other secondary NET. All listed in mCODE
# SecondaryCancerDisorderVS (HL7/fhir-mCODE-ig input/fsh/VS_CancerCondition.fsh). C77 (lymph
# nodes) is left out: nodal disease is the N category, not distant metastasis. C7B.1 (secondary
# Merkel cell carcinoma) is a different tumour.
METASTASIS_ICD10_PREFIXES = ("C78", "C79", "C7B.0", "C7B.8")

MII_ONKO_CS = "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/CodeSystem/"
METASTASIS_CODES = keys(
    # seen in several public code lists / a German onko example (find_string, 2025)
    Code(SNOMED, "94381002", "Secondary malignant neoplasm of liver"),
    # mCODE EX_Basic.fsh secondary-cancer-condition-brain-mets
    Code(SNOMED, "94225005", "Secondary malignant neoplasm of brain"),
    # UZ Leuven / Belgian lung-cancer IG value set of metastasis sites (find_string, 2025)
    Code(SNOMED, "94222008", "Secondary malignant neoplasm of bone"),
    Code(SNOMED, "94493005", "Secondary malignant neoplasm of pleura"),
    Code(SNOMED, "94161006", "Secondary malignant neoplasm of adrenal gland"),
    Code(SNOMED, "94391008", "Secondary malignant neoplasm of lung"),
    # mCODE SecondaryCancerDisorderVS root (VS_CancerCondition.fsh)
    Code(SNOMED, "128462008", "Secondary malignant neoplastic disease"),
    # MII onko ConceptMap-mii-cm-onko-fernmetastasen-sct.json (GEN, generalised)
    Code(SNOMED, "405843009", "Widespread metastatic malignant neoplastic disease"),
    # mCODE ConditionStatusTrendMaxVS (VS_Other.fsh); davidhay25/actnow recurrence-type VS
    Code(SNOMED, "399409002", "Distant metastasis present"),
    # mCODE HistoryOfMetastaticMalignantNeoplasmVS root and example (SD_/EX_Basic.fsh)
    Code(SNOMED, "1287652008", "History of metastatic malignant neoplasm"),
    Code(SNOMED, "1098951000119108", "History of cancer metastatic to liver"),
)
# ICD-O-3 behaviour code 6 "malignant, metastatic site" (WHO ICD-O-3 behaviour axis; seen in a
# cancer-registry coding guide found with the search tool): a morphology "8240/6" on a Condition
# is a metastasis.
ICDO3_METASTATIC_BEHAVIOUR = "/6"
# "History of ..." codes in an Observation (mCODE HistoryOfMetastaticCancer) mean "no" when
# valueBoolean is false (SD_HistoryOfMetastaticCancer.fsh, isModifier).
HISTORY_OF_METASTASIS = keys(
    Code(SNOMED, "1287652008", "History of metastatic malignant neoplasm"),
    Code(SNOMED, "1098951000119108", "History of cancer metastatic to liver"),
)
# MII onko Fernmetastasen Observation: code SNOMED 385421009 (site of distant metastasis), value
# a site from mii-cs-onko-fernmetastasen (Observation-mii-exa-onko-fernmetastasen-1.json).
DISTANT_METASTASIS_SITE = keys(
    Code(SNOMED, "385421009", "Site of distant metastasis"),
    # Swiss cancer registry (ahdis/ch-crl input/fsh/content-v0.9.0-v1.0.0/dataelements/):
    # 33733-7 topography of metastases at diagnosis and nkrs-variables 8.6 topography of
    # post-diagnosis metastases (course-of-disease/), value a site of nkrs-topographymetastases
    # (terminology/NkrsTopographyMetastases.fsh: 1 PUL ... 3 HEP ... 11 OTH).
    Code(LOINC, "33733-7", "Sites of distant metastasis"),
    Code(CH_CRL_CS + "nkrs-variables", "8.6", "Topography(s) of post-diagnosis metastases"),
)
# Swiss cancer registry metastases-at-diagnosis indicator: 98248-8, valueBoolean true when
# metastases were present at diagnosis, false when none (ahdis/ch-crl input/fsh/
# content-v0.9.0-v1.0.0/dataelements/CHCRLObservationMetastasesAtDiagnosisIndicator.fsh);
# dataAbsentReason 'unknown' instead of a value leaves it unknown.
METASTASIS_AT_DIAGNOSIS = keys(
    Code(LOINC, "98248-8", "Primary or recurrent or distant metastasis [Type] in Tumor")
)

# --- M category -------------------------------------------------------------------------------
# LOINC 21901-4 / 21907-1 stay in codes.M_CATEGORY. SNOMED observables: mCODE
# TNMDistantMetastasesStagingTypeVS (VS_Staging_TNM.fsh) 277208005 M, 399387003 cM,
# 371497001 pM; MII onko uses 371497001 (Observation-TNM-M-Observation-2.json). Correction: the
# task named 385380006 for pM; mCODE and MII both use 371497001, and 385380006 was not found.
M_CATEGORY_SNOMED = keys(
    Code(SNOMED, "277208005", "M category"),
    Code(SNOMED, "399387003", "cM category"),
    Code(SNOMED, "371497001", "pM category"),
)
# SNOMED AJCC M values without a display: mCODE EX_Basic.fsh (1229901006 cM0) and a public
# AJCC value set / OMOP table found with find_string (1229903009 cM1, 1229904003 cM1a,
# 1229907005 cM1b, 1229916009 pM1). Values with a display ("American Joint Committee on Cancer
# cM1") or UICC codes ("M1b", system https://www.uicc.org/resources/tnm, MII onko) are read as
# text by `values.tnm`.
M_VALUES: dict[tuple[str, str], bool] = {
    (SNOMED, "1229901006"): False,
    (SNOMED, "1229903009"): True,
    (SNOMED, "1229904003"): True,
    (SNOMED, "1229907005"): True,
    (SNOMED, "1229916009"): True,
}

# --- Recurrence / disease status -----------------------------------------------------------------
RECURRENCE_CODES = keys(
    # MII onko ConceptMap-mii-cm-onko-verlauf-gesamtbeurteilung-sct.json (Y Rezidiv) and
    # -verlauf-primaertumor-sct.json (R Lokalrezidiv)
    Code(SNOMED, "1259237005", "Recurrent malignant neoplasm"),
    # Nictiz pathology IG example "terugkerende tumor" (find_string, 2025); as a Condition code
    # not confirmed
    Code(SNOMED, "25173007", "Recurrent tumour"),
)
# Disease worse after surgery: read only when dated after the resection.
PROGRESSION_CODES = keys(
    # MII ConceptMap gesamtbeurteilung P -> 419835002 Tumor progression
    Code(SNOMED, "419835002", "Tumor progression"),
    # mCODE ConditionStatusTrendVS: worsened (disease status after resection = disease back)
    Code(SNOMED, "271299001", "Patient's condition worsened"),
)
# FHIR R4 condition-clinical CodeSystem (terminology.hl7.org): recurrence, relapse.
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
RECURRENT_CLINICAL_STATUS = frozenset({"recurrence", "relapse"})
# mCODE CancerDiseaseStatus: LOINC 97509-4 (SD_DiseaseStatus.fsh); MII onko Verlauf: SNOMED
# 396432002 (Observation-mii-exa-onko-verlauf-tumor.json).
DISEASE_STATUS = keys(
    Code(LOINC, "97509-4", "Cancer Disease Progression"),
    Code(SNOMED, "396432002", "Status of regression of tumor"),
)
# MII onko Verlauf value and components (CodeSystem-mii-cs-onko-verlauf-*.json): overall
# Y Rezidiv / P Progression; local (component 277062004) R Lokalrezidiv / P progress; nodal
# (399656008) R Lymphknotenrezidiv / P progress; distant (399608002) R new metastasis,
# P progress, T residual, N no change (metastases present after surgery).
VERLAUF_RECURRENT: dict[str, frozenset[str]] = {
    MII_ONKO_CS + "mii-cs-onko-verlauf-gesamtbeurteilung": frozenset({"Y", "P"}),
    MII_ONKO_CS + "mii-cs-onko-verlauf-primaertumor": frozenset({"R", "P"}),
    MII_ONKO_CS + "mii-cs-onko-verlauf-lymphknoten": frozenset({"R", "P"}),
    MII_ONKO_CS + "mii-cs-onko-verlauf-fernmetastasen": frozenset({"R", "P", "T", "N"}),
}
# Swiss cancer registry type of first recurrence (97509-4 value, ahdis/ch-crl input/fsh/
# content-v0.9.0-v1.0.0/terminology/NkrsTypeRecurrenceTransformation.fsh): 1 Progression,
# 3 Metastasis (metachronous: at or before surgery it is metastasis at surgery, after it a
# recurrence), 4 Relapse. 2 Transformation (one ICD-O morphology into another, haematological)
# is not a NET course and is not read. Values: the event kinds of `spread_events.Kind`.
NKRS_RECURRENCE_TYPE: dict[tuple[str, str], str] = {
    (CH_CRL_CS + "nkrs-typerecurrencetransformation", "1"): "progression",
    (CH_CRL_CS + "nkrs-typerecurrencetransformation", "3"): "metastasis",
    (CH_CRL_CS + "nkrs-typerecurrencetransformation", "4"): "recurrence",
}
# A recurrence Observation (Nictiz 25173007) with a "present" value (52101004, codes.PRESENT).

# Observation kinds by their code tables, the first that matches wins
OBSERVATION_KINDS: tuple[tuple[str, Iterable[tuple[str, str]]], ...] = (
    ("M category", M_CATEGORY),
    ("M category", M_CATEGORY_SNOMED),
    ("site of distant metastasis", DISTANT_METASTASIS_SITE),
    ("metastasis at diagnosis", METASTASIS_AT_DIAGNOSIS),
    ("history of metastatic cancer", HISTORY_OF_METASTASIS),
    ("disease status", DISEASE_STATUS),
    ("recurrent tumour", RECURRENCE_CODES),
)
# coding -> rank of the first table holding it: one dict lookup per coding, not seven scans
# (reversed, so the lowest rank is written last)
OBSERVATION_KIND_RANK: dict[tuple[str, str], int] = {
    key: rank for rank, (_, table) in reversed(list(enumerate(OBSERVATION_KINDS))) for key in table
}


# --- Text -----------------------------------------------------------------------------------------
_SITES_EN = r"liver|hepatic|lung|pulmonary|bone|osseous|brain|peritoneal|ovarian|adrenal|distant"
METASTASIS_TEXT = (
    rf"\b(?:{_SITES_EN})[ -]metasta|"
    r"\bmetasta\w*+ (?:to|of|in|involving) (?:the )?(?:liver|lung|bone|brain|peritoneum|ovar)|"
    r"\b(?:leber|lungen|knochen|hirn|fern|peritoneal|lever|long|bot)metasta|"
    r"\bhepatisch\w{0,3} (?:metasta|filia)|\bleberfilia|\bperitonealkarzinose|"
    r"\bm[eé]tasta\w{0,6} (?:h[eé]patiques?|hepáticas?|epatiche|[àa] distance|a distancia|"
    r"a distanza|op afstand)|"
    r"\bsecondary malignant neoplasm of (?:the )?(?:liver|lung|bone|brain|adrenal|peritoneum)|"
    r"\bsecondary (?:carcinoid|neuroendocrine)|\bmetastatic (?:to the )?liver|"
    r"\b(?:y?r?[cp])m1[a-d]?\b"
)
RECURRENCE_TEXT = (
    r"\b(?:local|locoregional|loco-regional|nodal|distant|hepatic|liver|regional|tumou?r|"
    r"disease|cancer|net)[ -]recurren|"
    r"\brecurrent (?:net|pannet|tumou?r|disease|neoplasm|neuroendocrine|carcinoid|cancer|"
    r"malignan)|"
    r"\b(?:recurrence|relapse) of (?:the )?(?:net|pannet|tumou?r|disease|neoplasm|"
    r"neuroendocrine|carcinoid|cancer|malignan)|"
    r"\b(?:lokal|lymphknoten|tumor|metastasen|lokoregionär\w{0,3}|fern)rezidiv|\brezidiv\b|"
    r"\brécidive|\brecidiva\b|\brecidief|\brecaída"
)
# Worse or new disease: read only when dated after the resection (before it, it is the primary).
PROGRESSION_TEXT = (
    r"\bnew (?:liver |hepatic |lung |bone |distant )?metasta|"
    r"\bneu (?:aufgetretene\w? )?(?:leber|fern|lungen|knochen)?metasta|"
    r"\b(?:progressive|progression of) (?:net|disease|tumou?r)|\btumou?r progression|"
    r"\bdisease progression|\btumorprogress"
)
# Literal text every match of each pattern above contains (one per alternative, lower case): a
# clause without any of them is not searched (tests/test_mappers_fast_paths.py checks they hold).
METASTASIS_STEMS = ("tasta", "filia", "karzinose", "secondary", "m1")
RECURRENCE_STEMS = ("recurren", "relapse", "rezidiv", "récidive", "recidiv", "recidief", "recaída")
PROGRESSION_STEMS = ("metasta", "progress")
# Negation and uncertainty, NegEx-style: a cue in the words before the finding (same clause, up
# to PRE_WINDOW characters, cut at "but" / "however" / "aber" / "jedoch"), or a post-cue right
# after it (POST_WINDOW). English, German, French, Spanish, Italian, Dutch: "no evidence of
# recurrence", "Kein Anhalt für Fernmetastasen", "V.a. Rezidiv", "metastasis: none".
PRE_WINDOW, POST_WINDOW = 80, 40
NEGATION_TEXT = (
    r"\bno\b|\bnot\b|\bwithout\b|\bnegative\b|ruled out|\bfree of\b|\bnone\b|absence of|"
    r"\bkein\w{0,2}\b|\bohne\b|\bnicht\b|ausgeschlossen|\bfrei von\b|\bpas de\b|\bsans\b|"
    r"\baucune?\b|\bsin\b|\bningun\w{0,2}\b|\bgeen\b|\bzonder\b|\bnessun\w{0,2}\b|\bassenza\b"
)
NEGATION_AFTER_TEXT = (
    # "Distant Metastasis (pM): Not applicable": a CAP item's label may stand before its answer
    r"^\W{0,3}(?:\([a-z]{1,3}\)\W{0,3})?"
    r"(?:no|not|none|nein|keine?|negative?|absent|nicht|n/?a|unknown|unbekannt)\b|"
    r"\b(?:not (?:seen|identified|detected|present|found|demonstrated)|absent|excluded|"
    r"ruled out|ausgeschlossen|nicht (?:nachweisbar|nachgewiesen|vorhanden|gesehen)|"
    r"niet aangetoond|non retrouv|no se observa)"
)
UNCERTAIN_TEXT = (
    r"suspicious|suspect|possibl|probabl|\blikely\b|may represent|questionable|equivocal|"
    r"indeterminate|\bverdacht|fraglich|verdächtig|\bevtl\b|\bmöglich|sospech|dudos|\bdubbi|"
    r"twijfel|cannot be (?:excluded|ruled out)"
)
UNCERTAIN_AFTER_TEXT = (
    r"^\W{0,3}\?|cannot be (?:excluded|ruled out)|not (?:be )?excluded|nicht auszuschlie|"
    r"nicht sicher|fraglich|\bsuspected\b|\bvermutet|\bunclear\b|\bunklar|"
    r"cannot be (?:determined|assessed|evaluated)|not (?:applicable|assessed|evaluated|determined)"
)
# NegEx pseudo-negations: "no change in the known liver metastases" states metastases.
PSEUDO_NEGATION_TEXT = (
    r"\bno (?:significant |interval |relevant )?change|\bnot only\b|"
    r"\bkeine (?:wesentliche |relevante )?(?:befund)?(?:ä|ae)nderung|\bunverändert"
)
SCOPE_BREAK = r"\bbut\b|\bhowever\b|\baber\b|\bjedoch\b|\bmais\b|\bpero\b|\bmaar\b"
# Clauses are read one at a time: "no distant metastasis; liver metastasis present" has one
# negated and one present finding. A full stop splits only before a space (not "2.5 cm"); the
# German abbreviation "V.a." (suspected) is spelled out first. Commas and colons do not split
# ("no liver, lung or bone metastases", "distant metastasis: none").
CLAUSE_BREAK = r"[;\n|]|\.(?=\s|$)"
SUSPECTED_ABBREVIATION = r"\bv\.\s?a\."
