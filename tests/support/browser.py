"""Playwright driving Debian's Chromium (/usr/bin/chromium, installed by `./dev test`; never
`playwright install`), with every request to a host other than loopback blocked. Screenshots go
to the directory named by PANNET_CDS_SCREENSHOTS, else to a fresh temporary directory (never
into the repository)."""

from __future__ import annotations

import os
import shutil
import tempfile
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 420, "height": 900}  # an EHR side panel
SCREENSHOTS_ENV = "PANNET_CDS_SCREENSHOTS"


@cache
def screenshot_dir() -> Path:
    named = os.environ.get(SCREENSHOTS_ENV)
    folder = Path(named) if named else Path(tempfile.mkdtemp(prefix="pannet-cds-screenshots-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def require_chromium() -> None:
    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"{CHROMIUM} is missing (./dev test installs Debian's chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright is in the test extra")


def block_non_loopback(context: object) -> list[str]:
    """Abort any request that would leave the machine; returns the list of blocked URLs."""
    blocked: list[str] = []

    def handle(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about") or parts.hostname in LOOPBACK:
            route.continue_()  # type: ignore[attr-defined]
        else:
            blocked.append(url)
            route.abort()  # type: ignore[attr-defined]

    context.route("**/*", handle)  # type: ignore[attr-defined]
    return blocked


def screenshot(page: object, name: str) -> Path:
    """The whole page. The viewport is grown to the page's height for the shot, because
    Chromium paints a frame's content only where the viewport is."""
    path = screenshot_dir() / f"{name}.png"
    size = page.viewport_size  # type: ignore[attr-defined]
    height = page.evaluate("document.documentElement.scrollHeight")  # type: ignore[attr-defined]
    page.set_viewport_size({"width": size["width"], "height": max(height, size["height"])})  # type: ignore[attr-defined]
    # Let the resized frame lay out and paint before the shot (a blank frame otherwise).
    page.evaluate(  # type: ignore[attr-defined]
        "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
    )
    page.wait_for_timeout(300)  # type: ignore[attr-defined]
    try:
        page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    finally:
        page.set_viewport_size(size)  # type: ignore[attr-defined]
    return path


def console_problems(page: object) -> list[str]:
    """Errors the page logs (a CSP violation is one), collected as they happen."""
    problems: list[str] = []

    def note(message: object) -> None:
        if message.type in ("error", "warning"):  # type: ignore[attr-defined]
            problems.append(message.text)  # type: ignore[attr-defined]

    page.on("console", note)  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: problems.append(str(exc)))  # type: ignore[attr-defined]
    return problems


def block_all_but_the_file(context: object) -> list[str]:
    """For a page opened from disk: any request it makes other than the file itself is aborted
    and listed (the page must need nothing else)."""
    blocked: list[str] = []

    def handle(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith("file://") and route.request.is_navigation_request():  # type: ignore[attr-defined]
            route.continue_()  # type: ignore[attr-defined]
        else:
            blocked.append(url)
            route.abort()  # type: ignore[attr-defined]

    context.route("**/*", handle)  # type: ignore[attr-defined]
    return blocked
