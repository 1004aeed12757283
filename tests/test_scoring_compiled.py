"""What a compiled score chose once per definition gives what was worked out per patient: its
population's check is what `check_population` matched per patient, its head is the
definition's; and combining two population checks gives what it gave before its shortcut for a
first check that is `_IN`."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import population
from scoring.definition import Population
from scoring.factors import FactorValue, node_positive
from scoring.inputs import ClinicalInputs
from scoring.population import Eligibility, check_population, population_check
from scoring.site_config import DEFAULT_SITE_CONFIG
from tests.scoring_support import make_inputs
from tests.test_scoring_properties import SITES, clinical_inputs


def _check_population_before(
    kind: Population, inputs: ClinicalInputs, nodes: FactorValue | None
) -> Eligibility:
    """`population.check_population` as it was: matched per patient."""
    match kind:
        case Population.PANNET_NONFUNCTIONING:
            return population._combine(
                population._pancreatic(inputs), population._nonfunctioning(inputs)
            )
        case Population.PANNET_PN0_8_NODES:
            return population._combine(
                population._pancreatic(inputs), population._pn0_with_enough_nodes(inputs, nodes)
            )
        case Population.GEP_NET:
            return population._gep(inputs)
    raise AssertionError(kind)


@settings(max_examples=300, deadline=None)
@given(inputs=clinical_inputs(), population=st.sampled_from(list(Population)), read=st.booleans())
def test_population_check_is_the_former_match(inputs, population, read):
    nodes = node_positive(inputs) if read else None
    expected = _check_population_before(population, inputs, nodes)
    assert population_check(population)(inputs, nodes) == expected
    assert check_population(population, inputs, nodes=nodes) == expected


def test_a_value_that_is_no_population_is_refused_by_name():
    inputs = make_inputs()
    with pytest.raises(ValueError, match="not a score population: 'no such population'"):
        check_population("no such population", inputs)  # type: ignore[arg-type]
    text = Population.GEP_NET.value  # a plain str equal to a member is that member
    assert check_population(text, inputs) == _check_population_before(
        Population.GEP_NET, inputs, None
    )  # type: ignore[arg-type]


def test_the_head_is_the_definitions():
    for site in (DEFAULT_SITE_CONFIG, *SITES):
        for score in site.compiled_scores():
            definition = score.definition
            assert (score.id, score.title, score.citation, score.citation_url) == (
                definition.id,
                definition.title,
                definition.citation,
                definition.citation_url,
            )
            assert score.check_population is population_check(definition.population)


def _combine_before(first: Eligibility, second: Eligibility) -> Eligibility:
    """`population._combine` as it was, without the shortcut for an `_IN` first check."""
    for check in (first, second):
        if check.eligible is False:
            return check
    missing = first.missing + second.missing
    notes = first.notes + second.notes
    if not missing and not notes:
        return population._IN
    return Eligibility(None if missing else True, missing=missing, notes=notes)


@settings(max_examples=300, deadline=None)
@given(inputs=clinical_inputs(), read=st.booleans())
def test_combining_the_checks_gives_what_it_gave(inputs, read):
    nodes = node_positive(inputs) if read else None
    firsts = [population._pancreatic(inputs)]
    seconds = [
        population._nonfunctioning(inputs),
        population._pn0_with_enough_nodes(inputs, nodes),
    ]
    for first in firsts + seconds:
        for second in firsts + seconds:
            got = population._combine(first, second)
            assert got == _combine_before(first, second)
            assert type(got) is Eligibility
