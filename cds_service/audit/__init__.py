"""The clinical audit trail: one record per assessment, retention, export for review."""
