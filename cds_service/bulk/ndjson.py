"""Reading downloaded NDJSON files one line at a time: a malformed line costs only itself.

Each bad line (not JSON, not a resource object, longer than the limit) is counted and the
first few are named with file and line number; the error text is our own (a parser message
or a fixed phrase), never the line's content.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cds_service.worklist.models import SkippedInput

# One resource is a few kB; a 20 MiB line (the `score` command's limit) is not a resource.
MAX_LINE_BYTES = 20 * 1024 * 1024
FIRST_ERRORS_KEPT = 20


@dataclass
class SkipLog:
    """Lines and resources left out: all counted, the first ones named."""

    count: int = 0
    first: list[SkippedInput] = field(default_factory=list)
    keep: int = FIRST_ERRORS_KEPT

    def add(self, where: str, error: str) -> None:
        self.count += 1
        if len(self.first) < self.keep:
            self.first.append(SkippedInput(where=where, error=error))


def read_resources(path: Path, skips: SkipLog, *, label: str | None = None) -> Iterator[Any]:
    """The resource objects of an NDJSON file, in file order; blank lines are ignored."""
    name = label or path.name
    with path.open("rb") as stream:
        number = 0
        while True:
            line = stream.readline(MAX_LINE_BYTES + 1)
            if not line:
                return
            number += 1
            if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                while line and not line.endswith(b"\n"):  # skip the rest of the line
                    line = stream.readline(MAX_LINE_BYTES)
                skips.add(f"{name} line {number}", f"longer than {MAX_LINE_BYTES} bytes")
                continue
            if not line.strip():
                continue
            try:
                resource = json.loads(line)
            except UnicodeDecodeError:
                skips.add(f"{name} line {number}", "not UTF-8 text")
                continue
            except json.JSONDecodeError as exc:
                skips.add(f"{name} line {number}", f"not JSON ({exc.msg} at column {exc.colno})")
                continue
            except RecursionError:
                skips.add(f"{name} line {number}", "JSON nested too deeply")
                continue
            if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
                skips.add(f"{name} line {number}", "not a FHIR resource (no resourceType)")
                continue
            yield resource
