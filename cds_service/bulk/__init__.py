"""FHIR Bulk Data Access (v2) for the surveillance worklist: kick-off, status polling, NDJSON
download to disk, and the per-patient on-disk index the worklist is scored from (issue 15)."""
