"""CDS Hooks requests: wire models, service definitions, prefetch rendering and data gathering."""
