"""Whether a patient is in a score's derivation population (clinical.md §1, §2).

Three answers: in, out (with the reason), or uncertain (with the data that would decide it).
Scope-wide exclusions (no resection, NEC, metastatic at surgery) are decided in `scope.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from scoring.definition import Population
from scoring.factors import FactorValue, node_positive
from scoring.inputs import ClinicalInputs, PrimarySite

# clinical.md §2.2: pN0 with at least 8 regional lymph nodes examined.
VENTIN_MIN_NODES_EXAMINED = 8


class Eligibility(NamedTuple):
    eligible: bool | None
    reason: str | None = None
    missing: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


# The answers that do not depend on the patient's values, made once (they are immutable).
_IN = Eligibility(True)
_NOT_PANCREAS = Eligibility(False, "primary tumour is not in the pancreas")
_PANCREAS_UNKNOWN = Eligibility(None, missing=("primary tumour site (eligibility: pancreas)",))
_FUNCTIONAL = Eligibility(
    False, "functional tumour (the score was derived in non-functioning PanNETs)"
)
# A hormonal syndrome is a diagnosis the record would carry; none recorded is read as
# non-functioning, and the card says so.
_NO_SYNDROME_RECORDED = Eligibility(
    True, notes=("No functional syndrome recorded: scored as non-functioning.",)
)
_GEP_UNKNOWN = Eligibility(None, missing=("primary tumour site (eligibility: GEP site)",))


def _pancreatic(inputs: ClinicalInputs) -> Eligibility:
    site = inputs.primary_site.value
    if site == PrimarySite.PANCREAS:
        return _IN
    if site == PrimarySite.OTHER_GEP:
        return _NOT_PANCREAS
    return _PANCREAS_UNKNOWN


def _nonfunctioning(inputs: ClinicalInputs) -> Eligibility:
    if inputs.functional.value is True:
        return _FUNCTIONAL
    if inputs.functional.value is None:
        return _NO_SYNDROME_RECORDED
    return _IN


def _pn0_with_enough_nodes(inputs: ClinicalInputs, nodes: FactorValue | None) -> Eligibility:
    if nodes is None:
        nodes = node_positive(inputs)
    examined = inputs.nodes_examined.value
    if nodes.value is True:
        return Eligibility(False, "lymph-node positive (the score is for pN0)")
    if examined is not None and examined < VENTIN_MIN_NODES_EXAMINED:
        return Eligibility(
            False, f"{examined} regional nodes examined (the score needs at least 8)"
        )
    missing: list[str] = []
    if nodes.value is None:
        missing.append("regional lymph nodes positive (eligibility: pN0)")
    if examined is None:
        missing.append("regional lymph nodes examined (eligibility: at least 8)")
    return Eligibility(None, missing=tuple(missing)) if missing else _IN


def _combine(first: Eligibility, second: Eligibility) -> Eligibility:
    for check in (first, second):
        if check.eligible is False:
            return check
    if first is _IN and second.eligible is True and second.reason is None and not second.missing:
        return second  # what the lines below would build from it, equal field by field
    missing = first.missing + second.missing
    notes = first.notes + second.notes
    if not missing and not notes:
        return _IN  # the same value; an Eligibility made per score cost a Python-level __new__
    return Eligibility(None if missing else True, missing=missing, notes=notes)


def _gep(inputs: ClinicalInputs) -> Eligibility:
    if inputs.primary_site.value is None:
        return _GEP_UNKNOWN
    return _IN


def _pannet_nonfunctioning(inputs: ClinicalInputs, nodes: FactorValue | None) -> Eligibility:
    return _combine(_pancreatic(inputs), _nonfunctioning(inputs))


def _pannet_pn0_8_nodes(inputs: ClinicalInputs, nodes: FactorValue | None) -> Eligibility:
    return _combine(_pancreatic(inputs), _pn0_with_enough_nodes(inputs, nodes))


def _gep_net(inputs: ClinicalInputs, nodes: FactorValue | None) -> Eligibility:
    return _gep(inputs)


PopulationCheck = Callable[[ClinicalInputs, FactorValue | None], Eligibility]
_CHECKS: dict[Population, PopulationCheck] = {
    Population.PANNET_NONFUNCTIONING: _pannet_nonfunctioning,
    Population.PANNET_PN0_8_NODES: _pannet_pn0_8_nodes,
    Population.GEP_NET: _gep_net,
}


def population_check(population: Population) -> PopulationCheck:
    """The check of `population` as a function of (inputs, nodes), chosen once per score
    definition rather than matched per patient."""
    check = _CHECKS.get(population)
    if check is None:
        raise ValueError(f"not a score population: {population!r}")
    return check


def check_population(
    population: Population, inputs: ClinicalInputs, *, nodes: FactorValue | None = None
) -> Eligibility:
    """`nodes`: `node_positive(inputs)` when the caller has it already."""
    return population_check(population)(inputs, nodes)
