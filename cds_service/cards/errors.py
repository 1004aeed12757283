"""The cards subsystem's one exception family."""

from __future__ import annotations


class CardError(Exception):
    """Base of every error raised by `cds_service.cards`."""


class CardBuildError(CardError, ValueError):
    """A card could not be built from its inputs (a programming or configuration error, not bad
    client input: the lead maps it to a 500-class failure, never to an empty card list)."""
