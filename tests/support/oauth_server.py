"""The tests' EHR for the SMART app is the local test EHR `./dev demo` runs:
`cds_service.demo.ehr` (authorization server, EHR page, token-checking FHIR proxy)."""

from cds_service.demo.ehr import FHIR_JSON, USER, LoopbackEhr

__all__ = ["FHIR_JSON", "USER", "LoopbackEhr"]
