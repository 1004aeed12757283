"""ConText cue rules and section headers for pathology text: declarative tables, each entry
with its source (see `vocabulary` for the sources' full citations: CAP, ConText, UICC, WHO).

The cues are added to medspaCy's default ConText rules (`DROPPED_DEFAULT_CUES` are removed from
those first); `UNREAD_SECTIONS` / `READ_SECTIONS` are the headers `segments` recognises.
"""

from __future__ import annotations

from dataclasses import dataclass


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
