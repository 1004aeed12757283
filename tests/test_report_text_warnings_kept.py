"""Building the report reader must not silence the process's warnings: medspaCy's import runs
`warnings.filterwarnings("ignore")`, which would hide every later warning of a server worker
that warmed the reader up (spaCy's own filters, each for one message, may stay). Checked in a
fresh interpreter, because pytest resets the filters around each test and would hide the leak."""

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
"""


def test_building_the_reader_keeps_the_warning_filters() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "UserWarning: a warning after the reader was built" in done.stderr
