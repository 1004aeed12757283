"""Demo patients for a public FHIR sandbox, and a check of the service against them."""
