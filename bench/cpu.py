"""CPU time of a server and its worker processes, from /proc (Linux): the cost per call that
other processes on a shared machine do not inflate the way they inflate wall-clock time."""

from __future__ import annotations

import collections
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

_TICKS = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return out


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of `pid` and every living descendant."""
    total = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[11], fields[12]: utime, stime (man 5 proc, counting from `state` as 0)
        total += (int(fields[11]) + int(fields[12])) / _TICKS
        pending.extend(_children(current))
    return total


def count_steps(steps: Iterable[tuple[Any, str, str]]) -> collections.Counter[str]:
    """Wrap each `(owner, attribute, label)` function so its CPU time (process_time, no
    profiler) adds up under its label in the returned counter, for the bench scripts that say
    where a call's CPU goes. A function on a class stays a method: the wrapper is bound like the
    original."""
    spent: collections.Counter[str] = collections.Counter()
    for owner, name, label in steps:
        setattr(owner, name, _counted(spent, label, getattr(owner, name)))
    return spent


def _counted(spent: collections.Counter[str], label: str, func: Callable[..., Any]) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return func(*args, **kwargs)
        finally:
            spent[label] += time.process_time() - start

    return wrapper
