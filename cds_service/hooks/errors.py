"""The exception family of `cds_service.hooks`; the app maps each class to one HTTP status.

Messages name the culprit (a request field, a prefetch key, the data in words) and never carry
an access token or anything a FHIR server sent; a 412 may name the `Patient/<id>` the caller
itself asked about. They are returned to the caller; logs carry fixed phrases only.
"""

from __future__ import annotations


class HookError(Exception):
    """Base of every error raised while reading a hook request or gathering its data."""


class BadHookRequest(HookError):
    """The request body is not a valid CDS Hooks request for this service (HTTP 400)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownService(HookError):
    """No service with this id is configured (HTTP 404)."""

    def __init__(self, service_id: str) -> None:
        super().__init__(f"no CDS service with id {service_id!r}")
        self.service_id = service_id


class RequiredDataUnavailable(HookError):
    """Data the service cannot work without was neither prefetched nor fetchable (HTTP 412).

    `missing` holds one line per prefetch key: the data in words and why it is missing; `keys`
    the prefetch keys themselves.
    """

    def __init__(self, missing: list[str], keys: list[str] | None = None) -> None:
        super().__init__("required data unavailable: " + "; ".join(missing))
        self.missing = list(missing)
        self.keys = list(keys or [])


class TooMuchData(HookError):
    """The call carries (or would make the service read) more resources than one call may
    (HTTP 413); the message states the limit."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
