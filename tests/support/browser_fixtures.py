"""The browser fixtures every browser test module shares (registered in tests/conftest.py):
one Chromium per module, and a laptop-sized context per test that fails the test when the page
tried to reach a host other than loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.browser import ARGS, CHROMIUM, LAPTOP, block_non_loopback, require_chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=LAPTOP)
    context.set_default_timeout(15_000)
    blocked = block_non_loopback(context)
    yield context
    context.close()
    assert blocked == [], f"requests off the machine were attempted: {blocked}"
