"""The tests' real FHIR R4 server: sekmet-fhir as `./dev demo` runs it
(`cds_service.demo.fhir_server`), waiting `process_timeout()` for it to start."""

from __future__ import annotations

from pathlib import Path

from cds_service.demo import fhir_server as _demo
from cds_service.demo.fhir_server import (
    FhirEndpoint,
    FhirServerError,
    metadata_answers,
    sekmet_settings,
    wait_for_metadata,
)
from tests.support.loopback import process_timeout

__all__ = [
    "FhirEndpoint",
    "FhirServerError",
    "FhirServerProcess",
    "metadata_answers",
    "sekmet_settings",
    "wait_for_metadata",
]


class FhirServerProcess(_demo.FhirServerProcess):
    def __init__(
        self,
        workdir: Path,
        *,
        inbound_validation: str = "warn",
        startup_timeout: float | None = None,
        extra_settings: dict[str, object] | None = None,
    ) -> None:
        super().__init__(
            workdir,
            inbound_validation=inbound_validation,
            startup_timeout=startup_timeout or process_timeout(),
            extra_settings=extra_settings,
        )
