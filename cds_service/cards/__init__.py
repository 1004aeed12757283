"""CDS Hooks cards for an assessment: wire models, builder, Markdown detail, display policy."""
