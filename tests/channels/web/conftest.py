"""Browser tests: Playwright for Python driving Debian's chromium (never a browser of Playwright's own), against the
registry served over real HTTP with the simulation's personas. `python3 dev.py test` installs chromium when it
is missing; without it these tests skip, loudly, except under CI=true, where they fail.

Set PRESENCE_SCREENSHOTS to a directory to keep a screenshot of every page a test looks at (`look`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from presence.app import create_app
from presence.channels.http.ratelimit import Limits
from tests.channels.conftest import serving
from tests.conftest import IN_CI

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"CI: the browser tests cannot run: {reason}")
    pytest.skip(f"browser tests SKIPPED: {reason}")


@pytest.fixture(scope="session")
def chromium():
    """One headless chromium per test process (each test gets its own context: its own cookies)."""
    missing = os.environ.get("PRESENCE_TEST_NO_BROWSER")
    if missing or not Path(CHROMIUM).exists():
        _unavailable(missing or f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        try:  # Playwright gives each launch a fresh, temporary profile (--user-data-dir)
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        except Exception as error:  # the browser does not start: say why
            _unavailable(f"chromium does not start: {str(error).splitlines()[0]}")
        yield browser
        browser.close()


@pytest.fixture
def site(people_runtime):
    """The registry with the personas, served over HTTP (no rate limits on the machine channels)."""
    with serving(create_app(people_runtime, limits=Limits.none())) as url:
        yield url


@pytest.fixture
def browser(chromium, site):
    """A fresh browser context on the site (desktop size, English unless a test says otherwise)."""
    context = chromium.new_context(base_url=site, viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(browser):
    return browser.new_page()
