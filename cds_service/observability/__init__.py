"""Prometheus metrics, structured JSON logs and per-request correlation."""
