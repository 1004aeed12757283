"""Code tables for diagnoses, symptoms, functional syndromes, resections and adjuvant drugs
(clinical.md §1, §3), as data with what verification found.

Where a code could not be confirmed with the search tool it is either left out (text matching
covers the concept) or marked "spec-listed, not confirmed here".
"""

from __future__ import annotations

from dataclasses import dataclass

from fhir_mappers import resection_codes
from fhir_mappers.codes import ICD10CM, LOINC, RXNORM, SNOMED, Code, keys
from fhir_mappers.text_patterns import word_start
from scoring.inputs import PrimarySite


@dataclass(frozen=True)
class DiagnosisRule:
    """An ICD-10-CM code prefix and what it says about the tumour (C7A/C7B/D3A exist only in
    ICD-10-CM; C25.4 in every edition)."""

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

# ICD-10 editions read with the same prefix rules where the code exists in them. WHO ICD-10
# (http://hl7.org/fhir/sid/icd-10, FHIR R4 terminology page) and ICD-10-GM (fhir.de basisprofil:
# bfarm URL since 2020, dimdi URL before; MII onko example Condition-mii-exa-onko-diagnose.json)
# have no C7A/C7B/D3A chapter: there a NET is coded by site (C25.4 endocrine pancreas, or the
# organ's C code) plus ICD-O-3 morphology, so WHO/GM site codes below decide the site only when
# morphology or text says NET.
ICD10_WHO = "http://hl7.org/fhir/sid/icd-10"
ICD10_GM_SYSTEMS = frozenset(
    {"http://fhir.de/CodeSystem/bfarm/icd-10-gm", "http://fhir.de/CodeSystem/dimdi/icd-10-gm"}
)
# urn:oid:2.16.840.1.113883.6.3 is the HL7 OID of WHO ICD-10 (not confirmed with the tool).
ICD10_SYSTEMS = frozenset({ICD10CM, ICD10_WHO, "urn:oid:2.16.840.1.113883.6.3"}) | ICD10_GM_SYSTEMS
# C25.4 "Endocrine pancreas" / "Endokriner Drüsenanteil des Pankreas" exists in all editions.
ICD10_ENDOCRINE_PANCREAS = "C25.4"

# ICD-10 (all editions) site codes, read only for a Condition that morphology or text names a
# NET. C25 pancreas; C16 stomach, C17 small intestine (C17.0 duodenum), C18 colon (C18.1
# appendix), C19 rectosigmoid, C20 rectum (WHO ICD-10 2019 tabular list, chapter II).
ICD10_SITE_PREFIXES: tuple[tuple[str, PrimarySite], ...] = (
    ("C25", PrimarySite.PANCREAS),
    ("D13.7", PrimarySite.PANCREAS),  # benign neoplasm of endocrine pancreas (e.g. insulinoma)
    ("C16", PrimarySite.OTHER_GEP),
    ("C17", PrimarySite.OTHER_GEP),
    ("C18", PrimarySite.OTHER_GEP),
    ("C19", PrimarySite.OTHER_GEP),
    ("C20", PrimarySite.OTHER_GEP),
)

# German diagnosis certainty on an ICD-10-GM coding (fhir.de basisprofil extension, seen in
# several German IG examples found with find_string): A = excluded, V = suspected,
# Z = status after, G = confirmed. Excluded is not used at all; suspected is not a finding.
GM_CERTAINTY_URL = "http://fhir.de/StructureDefinition/icd-10-gm-diagnosesicherheit"
GM_EXCLUDED, GM_SUSPECTED = "A", "V"

# ICD-O-3 morphology extensions: mCODE "histology-morphology-behavior" and MII onko
# "mii-ex-onko-histology-morphology-behavior-icdo3" (Condition-mii-exa-onko-diagnose.json).
MORPHOLOGY_EXTENSION_MARK = "histology-morphology-behavior"
# Histology Observations: LOINC 59847-4 "Histology and Behavior ICD-O-3 Cancer" (MII onko
# Observation-mii-exa-onko-histologie-icdo3.json, value in ICD-O-3), 31206-6 (LOINC "Histology
# ICD-O-3 Cancer"; listed in the issue, not confirmed in an IG example here).
HISTOLOGY_OBSERVATION = keys(
    Code(LOINC, "59847-4", "Histology and Behavior ICD-O-3 Cancer"),
    Code(LOINC, "31206-6", "Histology ICD-O-3 Cancer"),
    # Swiss cancer registry: 59848-2 "Morphology.ICD-O-3 Cancer", value ICD-O-3 (ahdis/ch-crl
    # input/fsh/content-until-v0.2.1/instances/ICD-O-3-Morphology-20181215.fsh).
    Code(LOINC, "59848-2", "Morphology.ICD-O-3 Cancer"),
)
# A diagnosis recorded as an Observation, its ICD-10 code the value: the Swiss cancer registry's
# 86255-7 "Primary diagnosis ICD code", value ICD-10-GM (ahdis/ch-crl input/fsh/
# content-until-v0.2.1/instances/ICD-10.fsh). Read like a Condition's code.
DIAGNOSIS_OBSERVATION = keys(Code(LOINC, "86255-7", "Primary diagnosis ICD code"))

# SNOMED CT disorder codes for NETs could not be confirmed with the search tool (no IG example
# or value set found): SNOMED-coded diagnoses are read by their display / text below.

# Text (lower-cased). English, German, French, Spanish, Italian, Dutch, as used by the IGs'
# languages; word-bounded literal alternatives only (linear).
NET_TEXT = (
    r"neuroendo[ck]rin|neuro-endocri|neuroendocrin|carcinoid|karzinoid|carcino[iï]de|"
    r"islet cell|inselzell|\bp?an?net\b|\bnet des\b|\bnet (?:of|der|du|del)\b|insulinom|"
    r"gastrinom|glucagonom|glukagonom|somatostatinom|vipom"
)
# literal text every NET_TEXT match holds: most Condition names hold none and are not searched
NET_STEMS = (
    "neuro",
    "carcino",
    "karzinoid",
    "islet cell",
    "inselzell",
    "net",
    "inom",
    "agonom",
    "vipom",
)
NEC_TEXT = (
    r"poorly[- ]differentiated|small[- ]cell carcinoma|large[- ]cell neuroendocrine|"
    + word_start(r"nec\b")
    + "|"
    r"neuroendocrine carcinoma|neuroendokrine[sn]? karzinom|carcinome neuroendocrine|"
    r"carcinoma neuroendocrino|neuro-endocrien carcinoom|schlecht differenziert|"
    r"niedrig differenziert|kleinzellige[sn]? karzinom|großzellige[sn]? neuroendokrin|"
    r"peu différencié|poco diferenciado|scarsamente differenziato|slecht gedifferentieerd"
)
# literal text every match of NEC_TEXT holds: a name without one is not searched
NEC_STEMS = (
    "differen",
    "différen",
    "diferen",
    "carcino",
    "karzinom",
    "nec",
    "cell neuroendocrine",
    "zellige",
)
WELL_DIFFERENTIATED_TEXT = (
    r"well[- ]differentiated|gut differenziert|hochdifferenziert|bien différencié|"
    r"bien diferenciado|ben differenziato|goed gedifferentieerd"
)
WELL_DIFFERENTIATED_STEMS = ("differen", "différen", "diferen")  # as NEC_STEMS
PANCREAS_TEXT = r"pancrea|pankrea|pancréa|páncrea|alvleesklier|islet cell|inselzell"
OTHER_GEP_TEXT = (
    r"stomach|gastric|\bmagen|estómago|estomac|duoden|jejun|[ií]le(?:um|al|on)|"
    r"small (?:bowel|intestine)|"
    r"dünndarm|duenndarm|intestin grêle|intestino delgado|append|colon|colonic|\bkolon|"
    r"c(?:a)?ecum|cecal|zökum|rect(?:um|al)|rektum|sigm(?:oid|a)\b|midgut|hindgut|mitteldarm|"
    r"enddarm|dickdarm"
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
    r"insulinom|gastrinom|glucagonom|glukagonom|somatostatinom|vipom|zollinger|"
    r"carcinoid syndrome|karzinoidsyndrom|"
    + word_start(r"functioning\b", ("non", "non-", "non "))
    + "|"
    + word_start(r"functional (net|tumou?r|pannet)", ("non", "non-", "non "))
    + "|"
    + word_start(r"funktionell(?:er|es)? (?:net|tumor)", ("nicht ", "nicht-"))
    + "|"
    + word_start("hormonaktiv", ("non-",))
)
# literal text every match of FUNCTIONAL_TEXT holds: a name without one is not searched (the
# search tries each of its alternatives at every letter, ~10 us over a Condition's name)
FUNCTIONAL_STEMS = (
    "insulinom",
    "gastrinom",
    "glucagonom",
    "glukagonom",
    "somatostatinom",
    "vipom",
    "zollinger",
    "carcinoid syndrome",
    "karzinoidsyndrom",
    "functioning",
    "functional ",
    "funktionell",
    "hormonaktiv",
)
# No SNOMED code for "non-functioning" could be confirmed: text only.
NON_FUNCTIONING_TEXT = (
    r"non[- ]?function(ing|al)|nicht[- ]funktionell|hormoninaktiv|non[- ]fonctionnel|"
    r"no funcionante|non funzionante|niet[- ]functioneel"
)
# literal text every match of NON_FUNCTIONING_TEXT holds: a name without one is not searched
NON_FUNCTIONING_STEMS = ("function", "funktion", "inaktiv", "fonction", "funciona", "funziona")

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
# word_start(x) is "\b" + x, written so that `re` can search the pattern fast (text_patterns)
SYMPTOM_TEXT = (
    r"jaundice|icterus|abdominal pain|epigastric pain|" + word_start("gi bleed") + "|"
    r"gastrointestinal (bleed|h(a)?emorrh)|mel(a)?ena|h(a)?ematochezia|h(a)?ematemesis"
)
# Literal text every match of SYMPTOM_TEXT / ASYMPTOMATIC_TEXT contains: a code name without any
# is not searched (each Observation's is asked; tests/test_mappers_fast_paths.py checks them).
SYMPTOM_STEMS = ("jaundice", "icterus", "pain", "bleed", "gastrointestinal", "mel", "emat")
ASYMPTOMATIC_STEMS = ("asymptomatic", "incidental")
ASYMPTOMATIC = keys(
    Code(SNOMED, "84387000", "Asymptomatic (finding)"),  # confirmed in several value sets
)
# No SNOMED "incidental finding" code could be confirmed: text only.
ASYMPTOMATIC_TEXT = (
    r"asymptomatic|incidental(ly)? (finding|found|discovered|detected)|incidentaloma"
)

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
        r"lutetium|lu[- ]?177|177[- ]?lu|dotatate|lutathera|"
        + word_start(r"prrt\b")
        + "|peptide receptor radionuclide",
    ),
}
# Short-acting octreotide is routine after pancreatectomy to prevent pancreatic fistula; only
# long-acting forms or an SSA linked to the tumour count as adjuvant (conservative reading).
LONG_ACTING_SSA_TEXT = r"lanreotide|somatuline|\blar\b|depot|autogel|long[- ]acting|pasireotide"
ORAL_PAIR = ("capecitabine", "temozolomide")  # CAPTEM counts only as the pair

# Kept here for the modules that read them from this table (provenance, older imports).
RESECTION = resection_codes.RESECTION
RESECTION_TEXT = resection_codes.RESECTION_TEXT
NOT_CURATIVE_TEXT = resection_codes.NOT_CURATIVE_TEXT
SPECIMEN_RESECTION_TEXT = resection_codes.SPECIMEN_RESECTION_TEXT
