"""Flask blueprints, one per concern: CDS services, feedback, operations, SMART app."""
