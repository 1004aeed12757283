"""What the worklist's browser tests share: Chromium through Playwright (Debian's, never
`playwright install`), console and CSP-violation capture, and screenshots into
$PANNET_CDS_SCREENSHOTS (default: a directory under the system's temp dir; never committed)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

SCREENSHOTS_ENV = "PANNET_CDS_SCREENSHOTS"
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 420, "height": 900}


def screenshot_dir() -> Path:
    configured = os.environ.get(SCREENSHOTS_ENV, "").strip()
    path = Path(configured) if configured else Path(tempfile.gettempdir()) / "pannet-cds-shots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def full_page_shot(page: object, name: str) -> Path:
    """The whole page at the current width (the viewport grown to the page's height first, so
    that a framed app is painted in full)."""
    path = screenshot_dir() / f"{name}.png"
    size = page.viewport_size  # type: ignore[attr-defined]
    height = page.evaluate("document.documentElement.scrollHeight")  # type: ignore[attr-defined]
    page.set_viewport_size({"width": size["width"], "height": max(height, size["height"])})  # type: ignore[attr-defined]
    page.evaluate(  # type: ignore[attr-defined]
        "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
    )
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
