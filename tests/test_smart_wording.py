"""What the SMART app itself writes on its pages (templates, static files, error texts) never
cites a section number of the project's specifications ("§3.1", "clinical.md §4"): it says the
thing in words (issue 12). Labels that come from the assessment are tested with the cards."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from cds_service.smart import errors
from cds_service.smart.blueprint import bp

SMART = Path(errors.__file__).parent
SECTION_REFERENCE = re.compile(r"§|clinical\.md|cds-api\.md")
PAGE_FILES = sorted(p for p in (SMART / "templates").rglob("*") if p.is_file()) + sorted(
    p for p in (SMART / "static").rglob("*") if p.is_file()
)


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.name)
def test_templates_and_static_files_cite_no_section_numbers(path):
    assert not SECTION_REFERENCE.search(path.read_text(encoding="utf-8"))


def test_error_pages_cite_no_section_numbers():
    for _, kind in inspect.getmembers(errors, inspect.isclass):
        if issubclass(kind, errors.SmartError):
            assert not SECTION_REFERENCE.search(f"{kind.title} {kind.hint}"), kind.__name__


def test_the_page_files_are_the_blueprints():
    assert Path(bp.root_path) == SMART and len(PAGE_FILES) >= 10
