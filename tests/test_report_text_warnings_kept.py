"""Building the report reader must not silence the process's warnings: medspaCy's import runs
`warnings.filterwarnings("ignore")`, which would hide every later warning of a server worker
that warmed the reader up (spaCy's own filters, each for one message, may stay). The one
medspaCy warning that quotes a report's words stays silenced: patient data must not reach a
log. Checked in a fresh interpreter: pytest resets the filters around each test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_PROBE = """
import warnings
from fhir_mappers.report_text.pipeline import pipeline
pipeline()
assert ("ignore", None, Warning, None, 0) not in warnings.filters, "medspaCy's catch-all ignore"
warnings.warn("a warning after the reader was built", UserWarning)
built = pipeline()
doc = built.nlp.make_doc("Ki-67 index 12 %")
doc.ents = [doc.char_span(0, 5, label="OTHER")]
built.nlp.get_pipe("medspacy_target_matcher")(doc)  # overlaps: medspaCy warns, quoting "Ki-67"
"""


def test_building_the_reader_keeps_the_warning_filters() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "UserWarning: a warning after the reader was built" in done.stderr
    assert "Ki-67" not in done.stderr  # medspaCy's warning that quotes the report's words
