"""`./dev demo`: the service, a FHIR server with the demo patients and a local test EHR on
loopback, for trying the cards and the SMART app without a hospital's systems. Development only:
nothing in the service imports this package."""
