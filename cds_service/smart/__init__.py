"""The SMART on FHIR app served under /smart/ (SMART App Launch 2.x): launch, the patient page,
"what if" and ordering surveillance. The blueprint is in `cds_service.smart.blueprint`."""
