"""What the report reader looks for: target phrases, ConText cue rules and section headers.

Declarative tables, each entry with its source:
- CAP = College of American Pathologists, "Protocol for the Examination of Specimens From
  Patients With Tumors of the Endocrine Pancreas" (PancreasEndocrine 3.3.0.1, 2016; 4.x, 2020+):
  item names ("Tumor Size", "Histologic Grade", "Mitotic Rate", "Ki-67 Labeling Index",
  "Lymphovascular Invasion", "Perineural Invasion", "Number of Lymph Nodes Examined",
  "Number of Lymph Nodes Involved", "Functional Type", "Procedure", "Margins") and answers
  ("Not identified", "Present", "Cannot be determined", "Not applicable").
- ConText = Harkema H et al., J Biomed Inform 2009;42(5):839-851, doi 10.1016/j.jbi.2009.05.002,
  as shipped in medspaCy's default rules (medspacy/resources/context_rules.json); entries here
  add pathology phrasing or override a default for this domain.
- UICC = TNM Classification of Malignant Tumours, 8th ed. (L/V/Pn categories, pN, pM).
- WHO = WHO Classification of Tumours, Digestive System Tumours, 5th ed. 2019 (NET / NEC terms,
  grade by Ki-67 and mitoses per 2 mm²).
- Case reports: Miyata T et al., J Surg Case Rep 2020;rjaa155, doi 10.1093/jscr/rjaa155;
  J Jpn Surg Assoc case (jjgs 53(4):352-359, 2020): narrative phrasing ("Ki-67 index of 3.1 %",
  "mitotic index of 0/50 HPF", "metastasis was found in the lymph nodes").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    label: str
    phrase: str
    source: str


def _targets(label: str, source: str, *phrases: str) -> tuple[Target, ...]:
    return tuple(Target(label, p, source) for p in phrases)


# Labels: presence findings (read with ConText) and value items (a value follows the phrase).
LVI = "lvi"  # lymphovascular (or unspecified small-vessel) invasion
LYMPHATIC = "lymphatic"
VENOUS = "venous"
PNI = "perineural"
KI67 = "ki67"
MITOSES = "mitoses"
SIZE = "size"
GRADE = "grade"
NODES = "nodes"
METASTASIS = "metastasis"
RECURRENCE = "recurrence"
NET = "net"
NEC = "nec"
FUNCTIONAL = "functional"
NON_FUNCTIONING = "non-functioning"
RESECTION = "resection"
MARGIN = "margin"

TARGETS: tuple[Target, ...] = (
    *_targets(
        LVI,
        "CAP item 'Lymphovascular Invasion'; WHO",
        "lymphovascular invasion",
        "lymphovascular",
        "lympho-vascular invasion",
        "angiolymphatic invasion",
        "angiolymphatic",
        "small vessel invasion",
        "vascular invasion",
        "lymphatic and vascular invasion",
        "lvi",
    ),
    *_targets(LYMPHATIC, "UICC L category; CAP", "lymphatic invasion", "lymphatic vessel invasion"),
    *_targets(
        VENOUS,
        "UICC V category; CAP",
        "venous invasion",
        "large vessel invasion",
        "vein invasion",
        "angioinvasion",
    ),
    *_targets(PNI, "CAP item 'Perineural Invasion'; UICC Pn", "perineural invasion", "perineural"),
    *_targets(
        KI67,
        "CAP item 'Ki-67 Labeling Index'; case reports",
        "ki-67",
        "ki67",
        "ki 67",
        "mib-1",
        "mib1",
        "ki-67 labeling index",
        "ki-67 proliferation index",
        "ki-67 index",
    ),
    *_targets(
        MITOSES,
        "CAP item 'Mitotic Rate'; WHO (per 2 mm²)",
        "mitotic rate",
        "mitotic count",
        "mitotic index",
        "mitotic activity",
        "mitotic figures",
        "mitoses",
    ),
    *_targets(
        SIZE,
        "CAP item 'Tumor Size' / 'Greatest dimension'",
        "tumor size",
        "tumour size",
        "size of tumor",
        "greatest dimension",
        "largest dimension",
        "maximum dimension",
        "greatest diameter",
        "maximum diameter",
        "tumor measures",
        "tumor measuring",
        "tumour measures",
        "tumour measuring",
        "mass measures",
        "mass measuring",
        "nodule measures",
        "nodule measuring",
        "neoplasm measuring",
    ),
    *_targets(
        GRADE,
        "CAP item 'Histologic Grade'; WHO G1-G3",
        "histologic grade",
        "histological grade",
        "tumor grade",
        "tumour grade",
        "who grade",
        "grade",
        "g1",
        "g2",
        "g3",
    ),
    *_targets(
        NODES,
        "CAP items 'Number of Lymph Nodes Examined / Involved'; case reports",
        "lymph nodes",
        "lymph node",
        "regional lymph nodes",
        "nodes examined",
        "nodes involved",
        "nodes",
    ),
    *_targets(
        METASTASIS,
        "CAP 'Distant Metastasis (pM)'; clinical.md §1 (text stating distant metastasis)",
        "distant metastasis",
        "distant metastases",
        "metastasis",
        "metastases",
        "metastatic",
        "metastatic disease",
    ),
    *_targets(
        RECURRENCE,
        "clinical.md §1 (recurrence on record)",
        "recurrence",
        "recurrent",
        "recurred",
        "local recurrence",
    ),
    *_targets(
        NET,
        "WHO 2019 terms; CAP 'Histologic Type'",
        "well-differentiated neuroendocrine tumor",
        "well-differentiated neuroendocrine tumour",
        "well differentiated neuroendocrine tumor",
        "well differentiated neuroendocrine tumour",
        "neuroendocrine tumor",
        "neuroendocrine tumour",
        "pancreatic neuroendocrine tumor",
        "pancreatic endocrine neoplasm",
        "islet cell tumor",
        "carcinoid tumor",
        "net",
        "pannet",
        "pnet",
    ),
    *_targets(
        NEC,
        "WHO 2019 terms (NEC, MiNEN)",
        "neuroendocrine carcinoma",
        "poorly differentiated neuroendocrine carcinoma",
        "small cell carcinoma",
        "large cell neuroendocrine carcinoma",
        "mixed neuroendocrine-non-neuroendocrine neoplasm",
        "minen",
    ),
    *_targets(
        FUNCTIONAL,
        "CAP item 'Functional Type'; clinical.md §3 functional tumours",
        "insulinoma",
        "gastrinoma",
        "glucagonoma",
        "somatostatinoma",
        "vipoma",
    ),
    *_targets(
        NON_FUNCTIONING,
        "CAP 'Functional Type: Non-functional'",
        "non-functional",
        "nonfunctional",
        "non-functioning",
        "nonfunctioning",
        "non functioning",
        "non functional",
    ),
    *_targets(
        RESECTION,
        "CAP item 'Procedure'",
        "pancreatectomy",
        "distal pancreatectomy",
        "total pancreatectomy",
        "partial pancreatectomy",
        "central pancreatectomy",
        "pancreaticoduodenectomy",
        "whipple",
        "whipple resection",
        "whipple procedure",
        "enucleation",
        "resection",
        "segmental resection",
        "small bowel resection",
        "ileocecectomy",
        "right hemicolectomy",
        "gastrectomy",
        "appendectomy",
    ),
    *_targets(
        MARGIN,
        "CAP item 'Margins'",
        "margins",
        "margin",
        "resection margin",
        "resection margins",
    ),
)

PRESENCE_LABELS = frozenset((LVI, LYMPHATIC, VENOUS, PNI, MARGIN))


@dataclass(frozen=True)
class Cue:
    literal: str
    category: str
    direction: str
    source: str


NEGATED = "NEGATED_EXISTENCE"
POSSIBLE = "POSSIBLE_EXISTENCE"
HISTORICAL = "HISTORICAL"
HYPOTHETICAL = "HYPOTHETICAL"
FAMILY = "FAMILY"
OTHER_SPECIMEN = "OTHER_SPECIMEN"  # a mention about another (earlier, outside) specimen
TERMINATE = "TERMINATE"

_CAP = "CAP answer option"
_CTX = "ConText (pathology phrasing)"

# Added to (or overriding) medspaCy's default ConText rules.
CUES: tuple[Cue, ...] = (
    # "Lymphovascular Invasion: Not identified" (CAP answer) and narrative variants
    Cue("not identified", NEGATED, "BACKWARD", _CAP),
    Cue("none identified", NEGATED, "BACKWARD", _CAP),
    Cue("not seen", NEGATED, "BACKWARD", _CTX),
    Cue("not present", NEGATED, "BACKWARD", _CTX),
    Cue("not detected", NEGATED, "BACKWARD", _CTX),
    Cue("not found", NEGATED, "BACKWARD", _CTX),
    Cue("not evident", NEGATED, "BACKWARD", _CTX),
    Cue("absent", NEGATED, "BACKWARD", _CTX),
    Cue("negative", NEGATED, "BACKWARD", _CTX),
    Cue("uninvolved", NEGATED, "BACKWARD", "CAP 'Margins: Uninvolved by tumor'"),
    Cue("not involved", NEGATED, "BACKWARD", _CAP),
    Cue("free of tumor", NEGATED, "BACKWARD", _CTX),
    Cue("no evidence of", NEGATED, "FORWARD", "ConText"),
    Cue("negative for", NEGATED, "FORWARD", "ConText"),
    Cue("no", NEGATED, "FORWARD", "ConText"),
    # ConText's ": no" is backward only ("Fever: no") and, being longer, pruned the forward "no"
    # of "Comment: no distant metastasis" (found by the hypothesis test): both directions here.
    Cue(": no", NEGATED, "BIDIRECTIONAL", "ConText, both directions"),
    Cue(": none", NEGATED, "BIDIRECTIONAL", "ConText, both directions"),
    Cue("without", NEGATED, "FORWARD", "ConText"),
    Cue("free of", NEGATED, "FORWARD", "ConText"),
    Cue("absence of", NEGATED, "FORWARD", "ConText"),
    Cue("not", NEGATED, "FORWARD", "ConText"),
    Cue("distinguished from", NEGATED, "FORWARD", _CTX),
    Cue("as opposed to", NEGATED, "FORWARD", _CTX),
    Cue("not show", NEGATED, "FORWARD", _CTX),
    Cue("not demonstrate", NEGATED, "FORWARD", "ConText ('not' + verb)"),
    Cue("not reveal", NEGATED, "FORWARD", "ConText ('not' + verb)"),
    Cue("not see", NEGATED, "FORWARD", "ConText ('not' + verb)"),
    Cue("not exhibit", NEGATED, "FORWARD", "ConText ('not' + verb)"),
    Cue("not appreciate", NEGATED, "FORWARD", "ConText ('not' + verb)"),
    Cue("not have", NEGATED, "FORWARD", "ConText ('not' + verb)"),
    # uncertainty: an uncertain finding is unknown (clinical.md §3.3)
    Cue("cannot be excluded", POSSIBLE, "BACKWARD", "clinical.md §3.3"),
    Cue("can not be excluded", POSSIBLE, "BACKWARD", _CTX),
    Cue("cannot be ruled out", POSSIBLE, "BACKWARD", _CTX),
    Cue("cannot be determined", POSSIBLE, "BACKWARD", "CAP 'Cannot be determined'"),
    Cue("cannot be assessed", POSSIBLE, "BACKWARD", _CAP),
    Cue("cannot be evaluated", POSSIBLE, "BACKWARD", _CTX),
    Cue("not assessed", POSSIBLE, "BACKWARD", _CAP),
    Cue("not evaluated", POSSIBLE, "BACKWARD", _CTX),
    Cue("not applicable", POSSIBLE, "BACKWARD", "CAP 'Not applicable'"),
    Cue("not specified", POSSIBLE, "BACKWARD", "CAP 'Not specified'"),
    Cue("indeterminate", POSSIBLE, "BIDIRECTIONAL", _CTX),
    Cue("equivocal", POSSIBLE, "BIDIRECTIONAL", _CTX),
    Cue("unlikely", POSSIBLE, "BACKWARD", "overrides the ConText default (negation)"),
    Cue("questionable", POSSIBLE, "BIDIRECTIONAL", _CTX),
    Cue("uncertain", POSSIBLE, "BIDIRECTIONAL", _CTX),
    Cue("is suspected", POSSIBLE, "BACKWARD", _CTX),
    Cue("suspicious for", POSSIBLE, "FORWARD", "clinical.md §3.3"),
    Cue("suspicious", POSSIBLE, "BIDIRECTIONAL", _CTX),
    Cue("suspected", POSSIBLE, "FORWARD", _CTX),
    Cue("concerning for", POSSIBLE, "FORWARD", _CTX),
    Cue("cannot exclude", POSSIBLE, "FORWARD", _CTX),
    Cue("cannot rule out", POSSIBLE, "FORWARD", _CTX),
    Cue("can not exclude", POSSIBLE, "FORWARD", _CTX),
    Cue("no definite", POSSIBLE, "FORWARD", "'no definite X' does not establish absence"),
    Cue("not definitely", POSSIBLE, "FORWARD", _CTX),
    Cue("possible", POSSIBLE, "FORWARD", "ConText"),
    Cue("possibly", POSSIBLE, "FORWARD", _CTX),
    Cue("probable", POSSIBLE, "FORWARD", _CTX),
    Cue("probably", POSSIBLE, "FORWARD", _CTX),
    Cue("may represent", POSSIBLE, "FORWARD", _CTX),
    Cue("favor", POSSIBLE, "FORWARD", _CTX),
    Cue("differential diagnosis", POSSIBLE, "FORWARD", _CTX),
    Cue("differential includes", POSSIBLE, "FORWARD", _CTX),
    Cue("rule out", POSSIBLE, "FORWARD", "ConText"),
    Cue("to exclude", POSSIBLE, "FORWARD", "overrides the ConText default (negation)"),
    Cue("evaluate for", POSSIBLE, "FORWARD", "overrides the ConText default (negation)"),
    Cue("risk of", HYPOTHETICAL, "FORWARD", _CTX),
    Cue("risk for", HYPOTHETICAL, "FORWARD", _CTX),
    Cue("if", HYPOTHETICAL, "FORWARD", "ConText"),
    Cue("would", HYPOTHETICAL, "FORWARD", _CTX),
    # history and other specimens: context, never a finding of this specimen
    Cue("history of", HISTORICAL, "FORWARD", "ConText"),
    Cue("prior", HISTORICAL, "FORWARD", _CTX),
    Cue("previous", HISTORICAL, "FORWARD", _CTX),
    Cue("previously", HISTORICAL, "BIDIRECTIONAL", _CTX),
    Cue("status post", HISTORICAL, "FORWARD", _CTX),
    Cue("prior biopsy", OTHER_SPECIMEN, "BIDIRECTIONAL", _CTX),
    Cue("previous biopsy", OTHER_SPECIMEN, "BIDIRECTIONAL", _CTX),
    Cue("outside biopsy", OTHER_SPECIMEN, "BIDIRECTIONAL", _CTX),
    Cue("prior specimen", OTHER_SPECIMEN, "BIDIRECTIONAL", _CTX),
    Cue("previous specimen", OTHER_SPECIMEN, "BIDIRECTIONAL", _CTX),
    Cue("frozen section", OTHER_SPECIMEN, "BIDIRECTIONAL", "intraoperative, not the final reading"),
    # clause ends: a cue does not reach past these
    Cue("but", TERMINATE, "TERMINATE", "ConText"),
    Cue("however", TERMINATE, "TERMINATE", _CTX),
    Cue("although", TERMINATE, "TERMINATE", _CTX),
    Cue("whereas", TERMINATE, "TERMINATE", _CTX),
    Cue("except", TERMINATE, "TERMINATE", _CTX),
    Cue("while", TERMINATE, "TERMINATE", _CTX),
)

# Default ConText rules dropped for pathology text (redefined above or wrong here).
DROPPED_DEFAULT_CUES = frozenset(
    # "was not" ("is not", forward) overlaps "not identified" (backward) and, being of the same
    # category and as long, can cut its scope to nothing: "LVI is not identified" not negated.
    {"unlikely", "to exclude", "evaluate for", "secondary", "resolved", "decline", "was not"}
    # "was negative" ("is negative", backward) likewise pruned "negative for" (forward)
    | {"was negative"}
)

# Section headers (a line starting with one, then ":" or the line's end). Text under a
# history / prior-pathology / intraoperative header is context, never a finding.
UNREAD_SECTIONS: tuple[tuple[str, str], ...] = (
    ("clinical history", "CAP report layout"),
    ("clinical information", "CAP report layout"),
    ("clinical data", "report layout"),
    ("history", "report layout"),
    ("pertinent history", "report layout"),
    ("prior pathology", "report layout"),
    ("previous pathology", "report layout"),
    ("previous report", "report layout"),
    ("intraoperative consultation", "CAP report layout (frozen section: preliminary)"),
    ("frozen section diagnosis", "CAP report layout (frozen section: preliminary)"),
    ("frozen section", "CAP report layout (frozen section: preliminary)"),
    ("indication", "report layout"),
)
READ_SECTIONS: tuple[tuple[str, str], ...] = (
    ("final diagnosis", "CAP report layout"),
    ("diagnosis", "CAP report layout"),
    ("synoptic report", "CAP report layout"),
    ("cancer case summary", "CAP report layout"),
    ("microscopic description", "CAP report layout"),
    ("gross description", "CAP report layout"),
    ("comment", "CAP report layout"),
    ("addendum", "CAP report layout"),
    ("immunohistochemistry", "report layout"),
    ("pathologic staging", "CAP report layout"),
)
