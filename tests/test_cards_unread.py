"""The card when part of the record could not be read (issue 12): its missing facts are not
presented as simply missing."""

from __future__ import annotations

from cards_factories import assessment, zaidi

from cds_service.cards.detail import build_detail


def _detail(warnings: list[str]) -> str:
    score = zaidi(points=None, tier=None, missing=["Ki-67 index (LOINC 29593-1)"])
    return build_detail(assessment(None, scores=[score], warnings=warnings))


def test_a_failed_search_makes_missing_facts_could_not_be_read():
    detail = _detail(["Not available from the FHIR server: observations (HTTP 500)"])
    assert "### Missing, or could not be read from the EHR" in detail
    assert "Part of the record could not be read from the EHR" in detail
    assert "### Missing data" not in detail


def test_without_a_failure_missing_data_is_plain():
    detail = _detail([])
    assert "### Missing data" in detail and "could not be read" not in detail


def test_the_first_lines_say_part_of_the_record_could_not_be_read():
    detail = _detail(["Could not be read from the EHR: observations (timeout)"])
    top = detail.split("**Risk tier:**", 1)[0]
    assert "**Part of the record could not be read from the EHR:** see Warnings." in top
    assert "could not be read" not in _detail([]).split("**Risk tier:**", 1)[0]
