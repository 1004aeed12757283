"""The test suite: a regular package, so `tests.support` is ours even when an installed
distribution ships a top-level `tests` package (fastapi-events, a healthchain dependency, does)."""
