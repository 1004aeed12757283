"""The Flask application: CDS Hooks services, security, feedback, SMART app, command line."""
