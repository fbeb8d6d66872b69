"""What the browser tests do again and again: sign a persona in, run axe-core, look at a page."""

from __future__ import annotations

import os
import re
from pathlib import Path

from presence.sources.personas import Persona

from .conftest import AXE, DESKTOP, PHONE

SERIOUS = ("serious", "critical")
SMALLEST_PHONE = {"width": 360, "height": 740}  # every page must be usable this narrow
# The outermost elements that stick out on the right, to say what makes a page scroll sideways.
WIDER_THAN_THE_SCREEN = """() => {
  const edge = document.documentElement.clientWidth + 1;
  return [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > edge || e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0
                 && getComputedStyle(e).overflowX === "visible")
    .filter(e => !e.parentElement || e.parentElement.getBoundingClientRect().right <= edge)
    .slice(0, 5)
    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : ''));
}"""


def sign_in(page, persona: Persona, clock, *, identifier: str | None = None, code: str | None = None,
            next_path: str = "/", language: str = "en") -> None:
    """Through the sign-in page, as the person would: national number (or e-mail), password, one-time code;
    in `language`, chosen with the header's switch first (else the persona's own would be used)."""
    page.goto(f"/language/{language}?next=/")
    page.goto(f"/sign-in?next={next_path}")
    page.get_by_label(re.compile("National number or e-mail|Numéro national ou e-mail|Rijksregisternummer of "
                                 "e-mail|Nationalregisternummer oder E-Mail")).fill(identifier or persona.email)
    page.locator("#password").fill(persona.password)
    page.locator("#code").fill(code if code is not None else persona.code(clock.now()))
    page.locator("form[action='/sign-in'] button[type=submit]").click()


def act_for(page, enterprise: str = "0448181966") -> None:
    """On the account page, choose to act for `enterprise` (its number)."""
    page.goto("/account")
    page.locator(f"input[name=enterprise][value='{enterprise}']").check()
    page.locator("form[action='/account/acting'] button").click()
    page.wait_for_url("**/account?done=*")


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations of the page as it is now (rule id, help, where)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text() + "\n;0")  # through DevTools: the page's CSP admits no injected script
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "help": v["help"], "impact": v["impact"],
             "where": [node["target"] for node in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in SERIOUS]


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe-core on {page.url}: {violations}"


def look(page, name: str) -> None:
    """Check the page with axe-core at phone and desktop sizes, and that it never scrolls sideways, down to a
    360-pixel phone; with PRESENCE_SCREENSHOTS set, keep both screenshots there (`<name>-phone.png`,
    `<name>-desktop.png`) to be looked at."""
    folder = os.environ.get("PRESENCE_SCREENSHOTS")
    page.wait_for_load_state("load")  # a form just sent: its answer's page, not the one leaving
    before = page.viewport_size
    page.set_viewport_size(SMALLEST_PHONE)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= SMALLEST_PHONE["width"], (f"{page.url} scrolls sideways at 360 px ({width} px wide): "
                                              f"{page.evaluate(WIDER_THAN_THE_SCREEN)}")
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        assert_accessible(page)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= size["width"], (f"{page.url} scrolls sideways at {size['width']} px ({width} px wide): "
                                        f"{page.evaluate(WIDER_THAN_THE_SCREEN)}")
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(before)


def error_summary(page) -> list[str]:
    return [text.strip() for text in page.locator(".error-summary li").all_inner_texts()]
