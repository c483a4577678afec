"""Real-browser fixtures: Debian's chromium driven by Playwright, and axe-core checks.

Locally, browser tests are skipped when chromium is missing; CI sets GUICHET_REQUIRE_BROWSER=1 so
a missing browser fails the run instead of silently skipping it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

# Flags for a headless browser on a machine without network or display (see the machine notes).
CHROMIUM_FLAGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("GUICHET_REQUIRE_BROWSER"):
        pytest.fail(f"browser tests are required here but cannot run: {reason}")
    pytest.skip(reason)


@pytest.fixture
def browser() -> Iterator[Any]:
    from django.contrib.staticfiles import finders
    from playwright.sync_api import sync_playwright

    path = shutil.which("chromium") or shutil.which("chromium-browser")
    require(path is not None, "Debian's chromium is not installed")
    require(
        finders.find("vendor/htmx/htmx.min.js") is not None,
        "front-end assets not fetched (make assets)",
    )
    # Playwright's sync API keeps an event loop in this thread; Django would then refuse ORM calls
    # from the test body, which are synchronous and safe here.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
            try:
                yield instance
            finally:
                instance.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class AxeChecker:
    """Runs axe-core on a page and keeps the violations by page name."""

    def __init__(self) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()
        self.violations: dict[str, list[str]] = {}

    def check(self, page: Any, name: str) -> None:
        response = self.axe.run(page).response
        self.violations[name] = [
            f"{v['id']}: {', '.join(n['target'][0] for n in v['nodes'][:3])}"
            for v in response["violations"]
        ]

    def assert_clean(self) -> None:
        assert self.violations == {name: [] for name in self.violations}


@pytest.fixture
def axe() -> AxeChecker:
    return AxeChecker()
