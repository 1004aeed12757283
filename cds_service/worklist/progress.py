"""Progress on a terminal (export status, patients exported and scored); silent otherwise, so a
scheduled run's log holds only the summary line."""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import TracebackType
from typing import Any

import click


class Progress:
    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self._bar: Any = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.__exit__(kind, exc, tb)
            self._bar = None

    def report(self, message: str) -> None:
        if self.enabled:
            click.echo(f"\r\x1b[K{message}", nl=False, err=True)

    def ticks(self, total: int) -> Callable[[], None]:
        if not self.enabled:
            return lambda: None
        click.echo(f"\r\x1b[K{total} patients exported", err=True)
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
        self._bar = click.progressbar(length=total, label="scoring", file=sys.stderr)
        self._bar.__enter__()
        return lambda: self._bar.update(1)
