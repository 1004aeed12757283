"""Test support: real servers and test issuers."""
