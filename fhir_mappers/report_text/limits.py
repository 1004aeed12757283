"""Bounds on what the report reader looks at (issue 11.1: linear on hostile text).

Every pattern in this package sees at most one segment (a line or sentence) of at most
`MAX_SEGMENT_CHARS`; a report's text is cut at `MAX_REPORT_CHARS` (with a warning).
"""

# A long synoptic report with its microscopic description is ~10,000 characters; 200,000 leaves
# room for a report with many parts while bounding the work one resource can cause.
MAX_REPORT_CHARS = 200_000
# A real sentence or "Item: Value" line is far shorter; a longer run of text without a sentence
# end is not read at all (a negation cue could sit outside any window cut from it).
MAX_SEGMENT_CHARS = 1_000
# Relevant segments (lines naming a finding) read per piece of text: a long synoptic report
# has ~50; spaCy costs ~0.2 ms CPU each, so this bounds a hostile report to ~0.2 s.
MAX_SEGMENTS = 1_000
# Words naming a finding per segment: a sentence names a handful; spaCy's entity setting in
# medspaCy's TargetMatcher costs (findings x tokens) per Doc, so a longer run is not read.
MAX_KEYWORDS = 16
# Findings and cue words per clause given to ConText (its work grows with their product); a
# real clause has one or two of each. A clause past either is not read (with a warning).
MAX_MENTIONS = 8
MAX_CUES = 8
# A PDF page count bound: pypdf's work grows with pages; a pathology report has a handful.
MAX_PDF_PAGES = 10
# Decoded bytes per PDF stream (pypdf's default is 75 MB): a report page's text needs a few KB.
# pypdf extracts text at ~2.5 µs CPU per decoded byte, so a hostile PDF costs at most about
# MAX_PDF_PAGES x 0.5 s (bench/report_text.py measures it).
MAX_PDF_STREAM_BYTES = 200_000
# The quoted phrase shown on the card.
MAX_QUOTE_CHARS = 240
# HTML is cut before parsing (markup is bulkier than the text it carries).
MAX_HTML_CHARS = 5 * MAX_REPORT_CHARS
