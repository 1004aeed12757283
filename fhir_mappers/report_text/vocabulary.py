"""What the report reader looks for: the target phrases of each finding (medspaCy TargetMatcher).

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
        "lymph-vascular invasion",
        "lymph vascular invasion",
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
