"""FHIR R4 resources to score inputs, and surveillance plans to draft FHIR orders."""

from fhir_mappers import fhir_core_speedups

# Before any module here can build a fhir.resources model class: the classes bind fhir_core's
# validators when they are created (same checks, per-class work done once; see the module).
fhir_core_speedups.install()
