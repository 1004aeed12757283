"""requirements.lock pins, with hashes, every distribution the service needs at run time: the
dependencies in pyproject.toml (and its `postgres` extra, which the image installs) and all of
theirs, as installed here. The image and `./dev serve` install from it with --require-hashes."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCK = REPO_ROOT / "requirements.lock"
LOCKED_EXTRAS = ("postgres",)
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


def locked() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of each pin in the lock file."""
    pins: dict[str, tuple[str, list[str]]] = {}
    current = None
    for line in LOCK.read_text().splitlines():
        match = _PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            pins[current] = (match.group(2), [])
        elif current and "--hash=sha256:" in line:
            pins[current][1].append(line.split("--hash=sha256:")[1].strip(" \\"))
    return pins


def runtime_requirements() -> list[Requirement]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    for extra in LOCKED_EXTRAS:
        lines += project["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


def closure(requirements: list[Requirement]) -> set[str]:
    """Every distribution the requirements pull in, following installed metadata."""
    seen: set[str] = set()
    todo = [(r, frozenset(r.extras)) for r in requirements]
    while todo:
        requirement, extras = todo.pop()
        name = canonicalize_name(requirement.name)
        key = f"{name}[{','.join(sorted(extras))}]"
        if key in seen:
            continue
        seen.add(key)
        for text in metadata.requires(requirement.name) or []:
            child = Requirement(text)
            environments = [{"extra": e} for e in extras] or [{"extra": ""}]
            if child.marker is None or any(child.marker.evaluate(e) for e in environments):
                todo.append((child, frozenset(child.extras)))
    return {key.split("[")[0] for key in seen}


def test_every_pin_has_hashes():
    pins = locked()
    assert pins, "no pins in requirements.lock"
    assert all(hashes for _, hashes in pins.values()), [n for n, (_, h) in pins.items() if not h]
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for _, hs in pins.values() for h in hs)


@pytest.mark.parametrize("requirement", runtime_requirements(), ids=str)
def test_each_runtime_dependency_is_pinned_within_its_range(requirement):
    pins = locked()
    name = canonicalize_name(requirement.name)
    assert name in pins, f"{requirement} is in pyproject.toml but not in requirements.lock"
    version = pins[name][0]
    assert requirement.specifier.contains(version, prereleases=True), (requirement, version)


def test_everything_the_runtime_dependencies_pull_in_is_pinned():
    needed = closure(runtime_requirements())
    missing = sorted(needed - set(locked()))
    assert missing == [], f"regenerate requirements.lock: {missing} not pinned"


def test_nothing_from_the_test_extra_is_locked():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    runtime = closure(runtime_requirements())
    test_only = {
        canonicalize_name(Requirement(r).name) for r in project["optional-dependencies"]["test"]
    }
    assert (test_only - runtime) & set(locked()) == set()
