"""The repository carries its own clinical and interface documentation (a user of it has no
shared/ folder), and the README points at those copies."""

from __future__ import annotations

import re
from pathlib import Path

from cds_service.cli import SCORE_MAX_BYTES

REPO_ROOT = Path(__file__).resolve().parent.parent
README = (REPO_ROOT / "README.md").read_text()
CLINICAL = REPO_ROOT / "docs" / "clinical.md"
INTERFACE = REPO_ROOT / "docs" / "interface.md"


def test_readme_links_the_documentation_it_relies_on():
    assert "](docs/clinical.md)" in README
    assert "](docs/interface.md)" in README
    assert "shared/spec" not in README
    for target in re.findall(r"\]\((docs/[^)#]+)", README):
        assert (REPO_ROOT / target).is_file(), target


def test_clinical_documentation_has_every_section_and_its_citations():
    text = CLINICAL.read_text()
    assert "mirrors the project's clinical specification" in text
    headings = re.findall(r"^## (\d)\. ", text, re.MULTILINE)
    assert headings == ["1", "2", "3", "4", "5", "6"]
    for subsection in ("2.1", "2.2", "2.3", "2.4", "3.1", "3.2", "3.3"):
        assert re.search(rf"^### {re.escape(subsection)} ", text, re.MULTILINE), subsection
    # the published sources the weights and schedules come from
    assert len(re.findall(r"\b10\.\d{4,}/\S+|PMID", text)) >= 3


def test_interface_documentation_has_the_contract():
    text = INTERFACE.read_text()
    assert "mirrors the project's interface specification" in text
    for heading in ("## Command line", "## HTTP", "## Security", "## Configuration", "## Cards"):
        assert heading in text


def test_readme_states_the_score_size_limit_the_cli_enforces():
    assert f"{SCORE_MAX_BYTES // (1024 * 1024)} MiB" in README
