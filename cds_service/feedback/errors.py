"""The feedback subsystem's one exception family, mapped to HTTP once by the blueprint."""

from __future__ import annotations


class FeedbackError(Exception):
    """Base of every error raised by `cds_service.feedback`."""


class FeedbackValidationError(FeedbackError):
    """The request body is not valid CDS Hooks feedback (HTTP 400).

    `problems` are one-line messages naming the element at fault ("feedback[0].outcome: ...").
    They never echo the submitted values: a user comment is free text typed by a clinician.
    """

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class FeedbackStoreError(FeedbackError):
    """The database could not store or read feedback (HTTP 503: the client may retry, since
    storing is idempotent)."""


class CardNotIssued(FeedbackValidationError):
    """Feedback about a card this service did not issue to this client (HTTP 404)."""
