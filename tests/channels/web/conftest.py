"""Browser tests: Playwright for Python driving Debian's chromium (never a browser of Playwright's own), against the
registry served over real HTTP with the simulation's personas. `python3 dev.py test` installs chromium when it
is missing; without it these tests skip, loudly, except under CI=true, where they fail.

Set PRESENCE_SCREENSHOTS to a directory to keep a screenshot of every page a test looks at (`look`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from presence.app import create_app
from presence.channels.http.ratelimit import Limits
from tests.channels.conftest import serving
from tests.conftest import CHROMIUM, FLAGS  # noqa: F401 (the browser, in the root conftest)

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


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
