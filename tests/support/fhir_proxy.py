"""The test EHR's token-checking FHIR proxy: `cds_service.demo.ehr_fhir_proxy`."""

from cds_service.demo.ehr_fhir_proxy import Token, forward, proxy

__all__ = ["Token", "forward", "proxy"]
