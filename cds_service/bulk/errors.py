"""The one exception family of the Bulk Data client: each says, in one line, what failed and
where, and never quotes a token or a resource (the CLI prints it as it is)."""

from __future__ import annotations


class BulkError(Exception):
    """An export could not be started, finished, downloaded or authorised."""


class ExportNotSupported(BulkError):
    """The server has no `$export` at the level asked for."""


class ExportFailed(BulkError):
    """The server reported the export as failed, or answered in a way the client cannot use."""


class ExportTimedOut(BulkError):
    """The export did not complete within the overall time limit."""


class AuthorizationError(BulkError):
    """No access token could be obtained, or the server refused the one sent."""
