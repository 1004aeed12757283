"""One patient's record → its inputs and assessment, by the same steps as the hooks' pipeline
(`cds_service.scoring_pipeline.assess_resources`), keeping the inputs: the worklist names the
last abdominal imaging on record also for patients the assessment takes out of scope.
`tests/test_worklist_rows.py` checks the assessment equals `assess_resources`'."""

from __future__ import annotations

from datetime import date
from typing import Any

from fhir_mappers.record import inputs_from_resources
from scoring.assess import assess
from scoring.assessment import Assessment
from scoring.inputs import ClinicalInputs
from scoring.site_config import SiteConfig


def assess_record(
    resources: list[dict[str, Any]], *, today: date, site: SiteConfig, fhir_base: str | None
) -> tuple[ClinicalInputs, Assessment]:
    inputs = inputs_from_resources(
        resources, extra_codes=site.extra_code_keys(), fhir_base=fhir_base
    )
    return inputs, assess(inputs, today=today, site=site)
