"""The citations of the defined scores are rendered once at import; the detail must be what
rendering them on every call gives (the table emptied), and the table must be used."""

from __future__ import annotations

from cds_service.cards import detail
from scoring.site_config import SCORE_DEFINITIONS
from tests.cards_demo import corpus_assessments, demo_assessments


def test_detail_with_the_table_equals_the_detail_rendered_per_call(monkeypatch):
    assessments = [*demo_assessments().values(), *corpus_assessments().values()]
    with_table = [detail.build_detail(a) for a in assessments if a.in_scope]
    monkeypatch.setattr(detail, "_RENDERED_CITATIONS", {})
    assert with_table == [detail.build_detail(a) for a in assessments if a.in_scope]


def test_every_defined_score_and_the_surveillance_citation_is_in_the_table():
    for definition in SCORE_DEFINITIONS:
        key = (definition.citation, definition.citation_url)
        assert detail._RENDERED_CITATIONS[key] == detail._citation(*key)
    key = (detail.SURVEILLANCE_CITATION, detail.SURVEILLANCE_CITATION_URL)
    assert detail._RENDERED_CITATIONS[key] == detail._citation(*key)
