"""CDS Hooks 2.0 feedback: wire models (`models`), durable idempotent storage (`store`) and
acceptance/override statistics (`stats`). https://cds-hooks.hl7.org/2.0/#feedback
"""
