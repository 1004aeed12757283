"""What makes two reports about one card the same report (the feedback table's unique key)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable


def content_fingerprint(
    outcome: str,
    accepted_suggestions: Iterable[str],
    reason_system: str | None,
    reason_code: str | None,
    user_comment: str | None,
) -> str:
    """The outcome and its content (accepted suggestions as a set; coded reason and comment),
    not the timestamp: hex SHA-256 of their canonical JSON."""
    content = [outcome, sorted(set(accepted_suggestions)), reason_system, reason_code, user_comment]
    return hashlib.sha256(json.dumps(content, separators=(",", ":")).encode()).hexdigest()
