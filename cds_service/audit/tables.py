"""The audit table, declared on the service's shared metadata (created with the other tables).

One row per assessment a hook call made, whether or not a card was shown. Tokens and request
bodies are never stored; what is stored is what a clinical-safety review needs to re-trace a
decision: the inputs with the FHIR references they were read from, the score definition
versions, the tier and the cards.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, Index, Integer, String, Table

from cds_service.db import metadata

MAX_SERVICE_ID = 128
MAX_HOOK = 128
MAX_HOOK_INSTANCE = 128
MAX_PATIENT_REF = 256

audit_records = Table(
    "audit_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False, index=True),
    Column("service_id", String(MAX_SERVICE_ID), nullable=False),
    Column("hook", String(MAX_HOOK), nullable=False),
    Column("hook_instance", String(MAX_HOOK_INSTANCE), nullable=False),
    Column("patient_ref", String(MAX_PATIENT_REF), nullable=True),
    Column("assessed_on", String(10), nullable=False),
    # NULL = no tier could be stated (incomplete data or out of scope), not "low".
    Column("overall_tier", String(16), nullable=True),
    Column("possible_tiers", JSON, nullable=False),
    Column("in_scope", Boolean, nullable=False),
    Column("scope_code", String(64), nullable=True),
    Column("score_versions", JSON, nullable=False),
    Column("inputs", JSON, nullable=False),
    Column("warnings", JSON, nullable=False),
    Column("cards", JSON, nullable=False),
)
Index("ix_audit_records_hook_instance", audit_records.c.hook_instance)
