"""Code and text tables for the curative resection (clinical.md §1, §3, §3.3), as data.

Every text pattern here is linear in the length of the text it reads: word-bounded literal
alternatives, bounded (`{0,n}`) gaps, and possessive quantifiers only (checked by
`tests/test_mappers_dx_patterns.py`). Texts are lower-cased by `concepts.concept`.
"""

from __future__ import annotations

import re

from fhir_mappers.codes import CH_CRL_CS, CPT, SNOMED, Code, keys
from fhir_mappers.text_patterns import word_start

NKRS_DIAGNOSTIC_METHOD = CH_CRL_CS + "nkrs-diagnosticmethodsused"

# ICD-10-PCS (FHIR: http://www.cms.gov/Medicare/Coding/ICD10, OID 2.16.840.1.113883.6.4) and
# OPS (German; fhir.de basisprofil naming, also the old DIMDI URL).
ICD10PCS_SYSTEMS = frozenset(
    {"http://www.cms.gov/Medicare/Coding/ICD10", "urn:oid:2.16.840.1.113883.6.4"}
)
OPS_SYSTEMS = frozenset(
    {
        # MII onko example Procedure-mii-exa-onko-operation-1.json (kerndatensatzmodul-onkologie)
        "http://fhir.de/CodeSystem/bfarm/ops",
        "http://fhir.de/CodeSystem/dimdi/ops",  # pre-2020 fhir.de name of the same system
        "urn:oid:1.2.276.0.76.5.532",  # not confirmed: OID given by BfArM for OPS
    }
)

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
    # Swiss cancer registry: the diagnostic method 26 "Surgical tissue from operation (e.g.
    # neuroendocrine tumours)" is the registry's record of the operation, a Procedure with a
    # performed date (ahdis/ch-crl input/fsh/content-until-v0.2.1/codesystems/
    # NkrsDiagnosticMethodsUsed.fsh, instances/DiagnosticMethod-Surgical20181215.fsh). 25
    # "Biopsy and resection" is left out: it does not say the tumour was resected.
    Code(NKRS_DIAGNOSTIC_METHOD, "26", "Surgical tissue from operation"),
)

# ICD-10-PCS: 0 medical-surgical; body system F (hepatobiliary, pancreas) body part G pancreas,
# or D (gastrointestinal) parts 6 stomach, 8 small intestine, 9 duodenum, A jejunum, B ileum,
# E-H large intestine / caecum, J appendix, K-N colon, P rectum; operation B excision or
# T resection; approach 0 open, 4 percutaneous endoscopic, 7/8 via natural opening (endoscopic
# resection of rectal / gastric NETs); device Z; qualifier Z (X would be diagnostic = biopsy).
# Confirmed as pancreatic resection codes in third-party code lists found with the search tool:
# 0FBG0ZZ, 0FBG4ZZ, 0FTG0ZZ, 0FTG4ZZ, 0DT90ZZ (Whipple), 0DTJ0ZZ / 0DBJ0ZZ (appendix). The
# other body-part values follow the CMS PCS tables and were not confirmed with the tool.
# Percutaneous (approach 3) excision, listed beside them in one list, is left out: not a
# curative resection.
ICD10PCS_RESECTION = re.compile(r"0(?:F[BT]G[04]|D[BT][689ABEFGHJKLMNP][0478])ZZ")

# OPS base codes (German procedure classification). Confirmed with the search tool in
# christophriepe/cassandra-retro README.md (OPS table of an abdominal-surgery cohort):
# 5-524 partial pancreatic resection, 5-525 (total) pancreatectomy, 5-434..5-438 gastric
# resections / gastrectomy, 5-454 small-bowel resection, 5-455 partial colectomy, 5-456 (total)
# colectomy / proctocolectomy, 5-484 / 5-485 rectal resection. Enucleation (5-521.*, local
# excision of pancreatic tissue) was not confirmed: read from text.
OPS_RESECTION_PREFIXES = (
    "5-524",
    "5-525",
    "5-434",
    "5-435",
    "5-436",
    "5-437",
    "5-438",
    "5-454",
    "5-455",
    "5-456",
    "5-484",
    "5-485",
)

# SNOMED CT: no pancreatectomy / pancreaticoduodenectomy concept id could be confirmed with the
# search tool, so SNOMED-coded Procedures are read by their display text (below) or by a
# generic excision/resection text with a pancreas / GEP body site.
PANCREAS_BODY_SITE = keys(
    # Seen in several IG value sets and the MII ICU test data (find_string, 2025)
    Code(SNOMED, "15776009", "Pancreatic structure (body structure)"),
    Code(SNOMED, "64163001", "Structure of head of pancreas (body structure)"),
)

# Stems of organ "-ectomy" words (English, German "-ektomie", French "-ectomie", Spanish
# "-ectomía", Italian "-ectomia", Dutch "-ectomie"). Up to 20 letters before the stem allow
# compounds (hemi-, duodeno-, pancreatico-, ileo-); at most 2 between stem and "ectom" (the
# "t" of pancrea-t-ectomy, the "ic" of append-ic-ectomy). Cholecyst-, splen-, lymphaden- and
# other non-GEP "-ectomies" are not stems.
_ECTOMY_STEMS = (
    r"pancrea|pankrea|pancréa|gastr|hemicol|hemikol|col|kol|proct|prokt|sigmoid|append|"
    r"ile|jejun|enter|duoden|c(?:a)?ec|zök|zoek"
)
_ORGAN_ECTOMY = rf"\b\w{{0,20}}?(?:{_ECTOMY_STEMS})\w{{0,2}}?(?:ectom|ektom)"
_ORGAN_WORDS_EN = (
    r"pancrea\w*+|gastric|bowel|small bowel|intestin\w*+|ileal|jejunal|duodenal|rectal|colonic|"
    r"segmental|ileoc(?:a)?ecal|sigmoid"
)
_RESECTION_OF = (
    r"\bresection of (?:the )?(?:pancrea|stomach|small|ileum|jejunum|duoden|colon|rectum|append)|"
    r"\br[eé]section (?:du |de la |del |de l')?(?:pancr|páncr|estómago|estomac|duod)|"
    r"\bresektion (?:des |eines )?(?:pankreas|magens|dünndarm|duenndarm|dickdarm|kolon|rektum|"
    r"duodenum|ileum|jejunum)"
)
# German compounds: Pankreaslinks-/-kopf-/-schwanz-/-segmentresektion, Magen-, Dünndarm-,
# Rektum-, Sigma-, Ileozökalresektion.
_GERMAN_COMPOUND = (
    r"\b(?:pankreas|magen|dünndarm|duenndarm|dickdarm|kolon|rektum|sigma|ileozökal|ileozoekal|"
    r"ileum|jejunum|duodenum)\w{0,12}?resektion"
)
RESECTION_TEXT = (
    rf"{_ORGAN_ECTOMY}|\bwhipple|\bpppd\b|pylorus[- ](?:preserving|erhaltende)|"
    r"\benucl[eé]a(?:tion|ción|zione)|\benukleation|"
    rf"\b(?:{_ORGAN_WORDS_EN}) resection|{_RESECTION_OF}|{_GERMAN_COMPOUND}|"
    r"\banterior resection|\banteriore rektumresektion|\btransanal(?:e)? (?:excision|exzision)|"
    r"\bendoscopic (?:mucosal resection|submucosal dissection)|"
    r"\bendoskopische (?:mukosaresektion|submukosadissektion)"
)
# literal text every match of RESECTION_TEXT holds (tests/test_mappers_fast_patterns.py): a
# text without one is not searched, which on a long report name that has none saves ~150 us
RESECTION_STEMS = (
    "ectom",
    "ektom",
    "whipple",
    "pppd",
    "pylorus",
    "enucl",
    "enukl",
    "section",
    "resektion",
    "transanal",
    "endoscopic",
    "endoskopische",
)
# each word "\b" + word, written so that `re` can search the pattern fast (text_patterns)
NOT_CURATIVE_TEXT = "|".join(
    word_start(word)
    for word in (
        "biops",
        "biopsie",
        "probeexzision",
        "feinnadel",
        "fine[- ]needle",
        "palliativ",
        "debulking",
        "cytoreduct",
        "zytoredukt",
        "bypass",
        "drainage",
        "stent",
        "umgehungsanastomose",
    )
)
# literal text in every match of NOT_CURATIVE_TEXT (each word, "needle" of "fine[- ]needle";
# "biops" is in "biopsie"): a name holding none is not searched (Concept.says_stemmed)
NOT_CURATIVE_STEMS = (
    "biops",
    "probeexzision",
    "feinnadel",
    "needle",
    "palliativ",
    "debulking",
    "cytoreduct",
    "zytoredukt",
    "bypass",
    "drainage",
    "stent",
    "umgehungsanastomose",
)
# A procedure described only generically ("Excision", "Resektion") counts when its body site
# names the pancreas or a GEP organ (SNOMED-coded Procedures without a specific display).
GENERIC_RESECTION_TEXT = (
    r"\bresection|\bexcision|\bresektion|\bexzision|\br[eé]section|\bresecci[oó]n|"
    r"\bresezione|\bremoval\b|\bentfernung\b"
)
# literal text every GENERIC_RESECTION_TEXT match holds ("section" for both r[eé]section)
GENERIC_RESECTION_STEMS = (
    "section",
    "excision",
    "resektion",
    "exzision",
    "resecci",
    "resezione",
    "removal",
    "entfernung",
)
# A specimen (or report) of a resection: any of the above, or a generic resection / excision /
# "-ectomy" word (e.g. "Pancreas, distal pancreatectomy specimen"; German "Resektat").
SPECIMEN_RESECTION_TEXT = (
    RESECTION_TEXT
    + r"|\bresection|\bexcision|\b\w{0,20}?resekt(?:ion|at)|\bexzis|\br[eé]section|"
    + r"\b\w{0,30}?(?:ectom|ektom)"
)
SPECIMEN_RESECTION_STEMS = (*RESECTION_STEMS, "excision", "resekt", "exzis")  # as above
