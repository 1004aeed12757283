"""Test support: real servers and helpers that tests share (never imported by production code)."""
