"""The audit subsystem's one exception family."""

from __future__ import annotations


class AuditError(Exception):
    """Base of audit failures."""


class AuditStoreError(AuditError):
    """The audit database could not be written or read; the cause is chained."""
