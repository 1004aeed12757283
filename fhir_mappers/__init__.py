"""FHIR R4 resources to score inputs, and surveillance plans to draft FHIR orders."""
