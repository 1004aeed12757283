"""Put the report text's values into `ClinicalInputs`, after every discrete mapper has run.

Combining happens here, at the Fact level, so the Observation and Condition mappers stay
unaware of text. Distant metastasis read from a report dated after the resection (and not the
resection specimen's report) is a recurrence (clinical.md §1), not metastasis at surgery.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fhir_mappers.report_text.combine import from_text, merge
from fhir_mappers.report_text.reading import TextReading, TextValue
from scoring.inputs import ClinicalInputs, Fact

# ClinicalInputs fields filled from the text value of the same name.
_SAME_NAME = (
    "tumor_size_cm",
    "grade_reported",
    "ki67_percent",
    "mitoses_per_2mm2",
    "lymphovascular_invasion",
    "perineural_invasion",
    "nodes_examined",
    "nodes_positive",
    "pn_positive",
    "margins_involved",
    "functional",
    "poorly_differentiated",
    "primary_site",
)


def apply_text(inputs: ClinicalInputs, reading: TextReading) -> ClinicalInputs:
    if not reading.values:
        return inputs
    values = reading.values
    changes: dict[str, Any] = {
        name: merge(name, getattr(inputs, name), values.get(name)) for name in _SAME_NAME
    }
    warnings = list(inputs.warnings)
    metastasis = values.get("distant_metastasis")
    at_surgery, later = _metastasis_timing(inputs, metastasis)
    changes["metastatic_at_surgery"] = merge(
        "distant_metastasis", inputs.metastatic_at_surgery, at_surgery
    )
    recurrence = values.get("recurrence")
    if later is not None and later.value is True:
        recurrence = later if recurrence is None or recurrence.value is not True else recurrence
        warnings.append(
            f"{later.source}: distant metastasis stated in a report after the resection; "
            f"read as a recurrence: '{later.quote}'"
        )
    changes["recurrence"] = merge("recurrence", inputs.recurrence, recurrence)
    for name in ("metastatic_at_surgery", "recurrence"):
        fact: Fact[Any] = changes[name]
        if fact.quote is not None and fact.value is True:
            warnings.append(
                f"{fact.sources[0]}: {name.replace('_', ' ')} read from the report "
                f"text — confirm: '{fact.quote}'"
            )
    net = values.get("net")
    if inputs.diagnosis is None and net is not None and net.value is True:
        changes["diagnosis"] = net.source
        warnings.append(
            f"{net.source}: neuroendocrine tumour diagnosis read from the report text — "
            f"confirm: '{net.quote}'"
        )
    changes["warnings"] = tuple(dict.fromkeys(warnings))
    return replace(inputs, **changes)


def _metastasis_timing(
    inputs: ClinicalInputs, metastasis: TextValue | None
) -> tuple[TextValue | None, TextValue | None]:
    """(statement about the time of surgery, statement made after it)."""
    if metastasis is None:
        return None, None
    surgery = inputs.resection.performed if inputs.resection else None
    after = (
        not metastasis.from_resection
        and surgery is not None
        and metastasis.when is not None
        and metastasis.when.after(surgery)
    )
    return (None, metastasis) if after else (metastasis, None)


__all__ = ["apply_text", "from_text"]
