"""The kiosk's screen in Debian's chromium, as the people on a site use it (both engines): the declaring
contractor's person sets the kiosk up by signing in to the registry; people register by typed national number,
by eID card and by Limosa number (scanned by a badge reader on a Belgian AZERTY keyboard), each stored with
channel GATEWAY and shown with the green light; nothing of them is left on screen ten seconds later; with the
registry stopped five people register and all arrive, once, with their instants; a spoilt queue is reported;
a revoked kiosk says so. Every screen is looked at in the four languages."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from presence import i18n
from presence.db.models import Registration
from presence.gateway.cards import CardSlot
from presence.gateway.kiosk import Kiosk, Sender
from presence.gateway.screens import create_kiosk_app
from presence.gateway.store import KioskStore
from presence.services.registrations import gateway
from presence.sources.personas import persona
from presence.sources.simulation import crew_inss
from tests.channels.conftest import serving
from tests.channels.web.browser import look
from tests.channels.web.conftest import DESKTOP

from ..helpers import count
from .cards import FakeReader
from .conftest import CARD_HOLDER, CONTRACTOR, COVERED, NO_DIMONA, POSTED_LIMOSA, WORKPLACE
from .test_kiosk import spoil

# --- typing as a Belgian AZERTY keyboard does, and as a badge reader on it does ---------------------------------

# The key a US keyboard presses for each character (a badge reader emulates one): its code, and whether shifted.
US_KEYS = {**{c: (f"Key{c.upper()}", False) for c in "abcdefghijklmnopqrstuvwxyz"},
           **{c: (f"Key{c}", True) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
           **{d: (f"Digit{d}", False) for d in "0123456789"},
           "-": ("Minus", False), "=": ("Equal", False), ":": ("Semicolon", True), "/": ("Slash", False),
           "?": ("Slash", True), ".": ("Period", False), "&": ("Digit7", True), "%": ("Digit5", True),
           "_": ("Minus", True)}
# What a Belgian AZERTY layout makes of those keys (unshifted, shifted).
AZERTY = {**{f"Digit{d}": (c, d) for d, c in zip("1234567890", "&é\"'(§è!çà", strict=True)},
          "KeyQ": ("a", "A"), "KeyA": ("q", "Q"), "KeyW": ("z", "Z"), "KeyZ": ("w", "W"), "KeyM": (",", "?"),
          "Semicolon": ("m", "M"), "Minus": (")", "°"), "Equal": ("-", "_"), "Slash": ("=", "+"),
          "Period": (":", "/")}


def key_event(cdp, kind: str, code: str, key: str, shift: bool) -> None:
    cdp.send("Input.dispatchKeyEvent", {"type": kind, "code": code, "key": key, "modifiers": 8 if shift else 0,
                                        **({"text": key} if kind == "keyDown" and len(key) == 1 else {})})


def type_on_azerty(page, text: str, enter: bool = False, pause: int = 0) -> None:
    """Type `text` as a badge reader (or a person, `pause` ms between keys) on a Belgian AZERTY keyboard: the
    keys of the US layout, which the layout turns into other characters."""
    cdp = page.context.new_cdp_session(page)
    for character in text:
        if pause:
            page.wait_for_timeout(pause)
        code, shift = US_KEYS[character]
        if code.startswith("Key") and code not in AZERTY:
            key = character
        else:
            key = AZERTY[code][1 if shift else 0]
        key_event(cdp, "keyDown", code, key, shift)
        key_event(cdp, "keyUp", code, key, shift)
    if enter:
        cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", "code": "Enter", "key": "Enter", "text": "\r",
                                            "windowsVirtualKeyCode": 13})
        cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", "code": "Enter", "key": "Enter",
                                            "windowsVirtualKeyCode": 13})
    cdp.detach()


# --- the kiosk, served as `presence gateway` serves it ------------------------------------------------------------

class Site:
    def __init__(self, kiosk, reader, url, registry, store, app) -> None:
        self.kiosk, self.reader, self.url, self.registry, self.store, self.app = (kiosk, reader, url, registry,
                                                                                  store, app)


@pytest.fixture
def site_kiosk(registry, site, tmp_path, clock):
    store = KioskStore(tmp_path / "kiosk")
    kiosk = Kiosk(store, registry.url, clock, timeout=2.0)
    reader = FakeReader()
    slot = CardSlot(reader, interval=0.1)
    sender = Sender(kiosk, interval=0.3)
    slot.start()
    sender.start()
    app = create_kiosk_app(kiosk, slot, "en")
    with serving(app) as url:
        yield Site(kiosk, reader, url, registry, store, app)
    sender.stop()
    slot.stop()
    store.close()


@pytest.fixture
def screen(chromium, site_kiosk):
    context = chromium.new_context(base_url=site_kiosk.url, viewport=DESKTOP, locale="en-GB")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def spoil_queue(site_kiosk, how) -> None:
    """Spoil the kiosk's queue on disk, between two of its sender's batches (one already read is sent as read)."""
    with site_kiosk.kiosk._lock:
        spoil(site_kiosk.store.folder, how)


def set_up(page, site_kiosk, clock) -> None:
    """The declaring contractor's person sets the kiosk up: from its screen to the registry and back."""
    contractor = persona("contractor")
    page.goto("/")
    page.get_by_role("link", name="Sign in and set up").click()
    page.wait_for_url(re.compile(r"/sign-in\?"))
    page.locator("input[name=identifier]").fill(contractor.email)
    page.locator("#password").fill(contractor.password)
    page.locator("#code").fill(contractor.code(clock.now()))
    page.locator("form[action='/sign-in'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/enterprise/kiosks/new\?"))
    assert site_kiosk.store.fingerprint in page.locator(".fingerprint").inner_text()
    page.locator(f"input[name=workplace][value='{WORKPLACE}']").check()
    page.locator("#name").fill("Site hut")
    page.locator("form[action^='/enterprise/kiosks/new'] button[type=submit]").click()
    page.wait_for_url(f"{site_kiosk.url}/")


def register_by_number(page, inss: str, enterprise: str | None = None) -> None:
    page.goto("/")
    page.get_by_role("link", name=re.compile("Type your national number")).click()
    page.locator("#number").click()
    type_on_azerty(page, inss)
    assert page.locator("#number").input_value() == inss  # digits, whatever the layout made of the keys
    page.locator("button.key--ok").click()
    page.wait_for_url(re.compile(r"/visit/"))
    choice = page.locator("button[name=enterprise]")
    (choice.filter(has_text=enterprise) if enterprise else choice.first).click()
    page.wait_for_url(re.compile(r"/done$"))


def receipt(page) -> int:
    return int(page.locator(".receipt strong").inner_text())


def stored(runtime, receipt_number):
    with runtime.db.reading() as session:
        return session.get(Registration, receipt_number)


def test_set_up_then_people_register_by_number_card_and_limosa_with_the_green_light(screen, site_kiosk, clock):
    page, runtime = screen, site_kiosk.registry.runtime
    set_up(page, site_kiosk, clock)
    assert site_kiosk.kiosk.enrolment.workplace == WORKPLACE
    page.goto(f"{site_kiosk.registry.url}/account")  # whoever set it up was signed out
    assert "/sign-in" in page.url

    # A covered person, by typed national number.
    register_by_number(page, COVERED)
    assert page.locator(".light--green").is_visible()
    covered = stored(runtime, receipt(page))
    assert (covered.channel, covered.inss, covered.workplace) == ("GATEWAY", COVERED, WORKPLACE)
    # His language, by a touch: the same result in Dutch.
    page.get_by_role("link", name="Nederlands").click()
    assert page.locator("html").get_attribute("lang") == "nl"
    assert receipt(page) == covered.id
    name = page.locator("h1").inner_text().split(",")[0]
    # Nothing of him is left on screen ten seconds later, nor kept by the kiosk.
    done_at = page.url
    page.wait_for_timeout(10_000)  # (the browser's time, not the test's clock)
    assert page.url == f"{site_kiosk.url}/"
    assert name not in page.content() and page.locator(".receipt").count() == 0
    # Nor in the kiosk's memory, whatever the screen does (its sweeper looks every second).
    deadline = time.monotonic() + 3
    while site_kiosk.app.state.visits._visits and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not site_kiosk.app.state.visits._visits
    assert page.locator("h1").inner_text() == "Register your presence on this workplace"
    page.goto(done_at)
    assert page.url == f"{site_kiosk.url}/"

    # One without a Dimona: the light says what does not cover him.
    register_by_number(page, NO_DIMONA, "Scenario Hoofdaannemer NV")
    assert page.locator(".light--red").is_visible()
    assert page.locator(".covers .no").inner_text().startswith("✗ Dimona")
    assert stored(runtime, receipt(page)).channel == "GATEWAY"

    # By eID card.
    page.goto("/")
    site_kiosk.reader.insert(CARD_HOLDER, "Jan Pieter", "Janssens")
    page.wait_for_url(re.compile(r"/visit/"))
    assert page.locator("h1").inner_text() == "Hello, Jan J."
    page.locator("button[name=enterprise]").click()
    page.wait_for_url(re.compile(r"/done$"))
    assert page.locator(".light--green").is_visible()
    assert stored(runtime, receipt(page)).inss == CARD_HOLDER
    site_kiosk.reader.pull()

    # By Limosa number, scanned from the Limosa-1 document by a badge reader on an AZERTY keyboard.
    page.goto("/")
    page.get_by_role("link", name=re.compile("Limosa number")).click()
    page.locator("#number").click()
    type_on_azerty(page, f"http://limosa.be/q.html?id={POSTED_LIMOSA}&1=010113311299&3=Nowak&4=Jan", enter=True)
    page.wait_for_url(re.compile(r"/visit/"))
    page.get_by_role("button", name="Register for today").click()
    page.wait_for_url(re.compile(r"/done$"))
    assert page.locator(".light--green").is_visible()
    posted = stored(runtime, receipt(page))
    assert (posted.channel, posted.limosa_id) == ("GATEWAY", POSTED_LIMOSA)
    # A person typing it on the same keyboard, key by key, gets its digits too.
    page.goto("/limosa")
    page.locator("#number").click()
    type_on_azerty(page, POSTED_LIMOSA, pause=120)
    assert page.locator("#number").input_value() == POSTED_LIMOSA


def test_with_the_registry_stopped_five_register_and_all_arrive_once_with_their_instants(screen, site_kiosk,
                                                                                       clock):
    page, registry = screen, site_kiosk.registry
    set_up(page, site_kiosk, clock)
    registry.stop()
    made = []
    for k in range(5):
        register_by_number(page, crew_inss(10 + k), "Exemplum Construct SA")
        assert page.locator(".light--grey").is_visible()
        made.append(clock.now())
        clock.advance(timedelta(minutes=2))
    page.goto("/")
    assert page.locator("#waiting").inner_text() == "5 registrations wait to be sent."
    kept = []  # what someone with the disk copies of the queue, to put back later
    spoil_queue(site_kiosk, lambda db, rows: kept.append(rows[0][1]))
    before = count(registry.runtime.db, Registration)
    clock.advance(timedelta(minutes=30))
    registry.start()
    deadline = time.monotonic() + 10
    while site_kiosk.kiosk.status().waiting and time.monotonic() < deadline:
        time.sleep(0.1)
    assert count(registry.runtime.db, Registration) == before + 5
    with registry.runtime.db.reading() as session:
        rows = session.scalars(select(Registration).where(Registration.inss.in_([crew_inss(10 + k)
                                                                                 for k in range(5)]))
                               .order_by(Registration.id)).all()
    assert [(r.inss, r.channel, r.created_at) for r in rows] == [
        (crew_inss(10 + k), "GATEWAY", made[k]) for k in range(5)]
    page.goto("/")
    assert page.locator("#waiting").inner_text() == "Nothing waits to be sent."

    # A queue spoilt on disk while the registry was away: refused entry by entry, and reported on the kiosk.
    registry.stop()
    for k in range(3):
        register_by_number(page, crew_inss(20 + k), "Exemplum Construct SA")
        clock.advance(timedelta(minutes=1))

    def tamper_and_swap(db, rows):
        (first, _), (second, text2), (third, text3) = rows
        db.execute("update queue set entry = replace(entry, ?, ?) where position = ?",
                   (crew_inss(20), crew_inss(30), first))
        db.execute("update queue set entry = ? where position = ?", (text3, second))
        db.execute("update queue set entry = ? where position = ?", (text2, third))
        db.execute("insert into queue (counter, entry) values (1, ?)", (kept[0],))  # one sent before, again

    spoil_queue(site_kiosk, tamper_and_swap)
    registry.start()
    deadline = time.monotonic() + 10
    while site_kiosk.kiosk.status().waiting and time.monotonic() < deadline:
        time.sleep(0.1)
    page.goto("/")
    page.get_by_role("link", name=re.compile("4 registrations were refused")).click()
    page.wait_for_load_state()
    reasons = page.locator("tbody td:nth-child(3)").all_inner_texts()
    assert sorted(reason.split(":")[0] for reason in reasons) == ["forged", "out of order", "out of order",
                                                                  "replayed"]
    assert not any(crew_inss(k) in page.content() for k in range(10, 31))
    assert count(registry.runtime.db, Registration) == before + 5

    # Revoked: the next person is refused at once, and the kiosk says it is revoked.
    gateway.revoke_device(registry.runtime, CONTRACTOR, site_kiosk.kiosk.enrolment.kiosk)
    page.goto("/number")
    page.locator("#number").fill(COVERED)
    page.locator("button.key--ok").click()
    page.wait_for_url(f"{site_kiosk.url}/")
    assert page.locator("h1").inner_text() == "This kiosk is revoked"
    assert count(registry.runtime.db, Registration) == before + 5


SCREENS_HEADING = {"fr": "Enregistrez votre présence sur ce lieu de travail",
                   "nl": "Registreer uw aanwezigheid op deze werkplaats",
                   "de": "Registrieren Sie Ihre Anwesenheit auf dieser Arbeitsstelle",
                   "en": "Register your presence on this workplace"}


@pytest.mark.parametrize("language", ["fr", "nl", "de", "en"])
def test_every_kiosk_screen_in_each_language(screen, site_kiosk, clock, language):
    page = screen
    page.goto(f"/?lang={language}")
    look(page, f"kiosk-setup-{language}")
    set_up(page, site_kiosk, clock)
    page.goto(f"/?lang={language}")
    assert page.locator("h1").inner_text() == SCREENS_HEADING[language]
    look(page, f"kiosk-home-{language}")
    site_kiosk.reader.insert_unreadable()  # a card that is no eID: said in the screen's language
    page.locator("#card-notice").wait_for()
    with i18n.using(language):
        assert page.locator("#card-notice").inner_text() == i18n.gettext(
            "This card could not be read. Type your national number instead.")
    look(page, f"kiosk-card-unreadable-{language}")
    site_kiosk.reader.pull()
    page.goto(f"/number?lang={language}")
    page.locator("button.key--ok").click()  # nothing typed: the error
    page.locator(".error-message").wait_for()
    look(page, f"kiosk-number-error-{language}")
    page.goto(f"/limosa?lang={language}")
    look(page, f"kiosk-limosa-{language}")
    page.locator("#number").fill(NO_DIMONA)
    page.goto(f"/number?lang={language}")
    page.locator("#number").fill(NO_DIMONA)
    page.locator("button.key--ok").click()
    look(page, f"kiosk-choose-enterprise-{language}")
    page.locator("a[href*='other=1']").click()
    page.locator("button[type=submit]").first.click()  # no enterprise typed
    look(page, f"kiosk-type-enterprise-{language}")
    page.locator("#enterprise").fill("0403.019.261")
    page.locator("form[action$='/register'] button[type=submit]").click()
    look(page, f"kiosk-done-red-{language}")
    page.goto(f"/number?lang={language}")
    page.locator("#number").fill(COVERED)
    page.locator("button.key--ok").click()
    page.locator("button[name=enterprise]").click()
    look(page, f"kiosk-done-green-{language}")
    site_kiosk.registry.stop()
    page.goto(f"/number?lang={language}")
    page.locator("#number").fill(crew_inss(5))
    page.locator("button.key--ok").click()
    look(page, f"kiosk-person-offline-{language}")
    page.locator("button[name=enterprise]").first.click()
    look(page, f"kiosk-done-offline-{language}")
    spoil_queue(site_kiosk, lambda db, rows: db.execute("update queue set entry = replace(entry, 'inss', "
                                                                "'x') where position = ?", (rows[0][0],)))
    site_kiosk.registry.start()
    page.goto(f"/?lang={language}")
    deadline = time.monotonic() + 10
    while site_kiosk.kiosk.status().waiting and time.monotonic() < deadline:
        time.sleep(0.1)
    page.goto(f"/refused?lang={language}")
    assert page.locator("tbody tr").count() == 1
    look(page, f"kiosk-refused-{language}")
    gateway.revoke_device(site_kiosk.registry.runtime, CONTRACTOR, site_kiosk.kiosk.enrolment.kiosk)
    site_kiosk.kiosk.refresh()
    page.goto(f"/?lang={language}")
    look(page, f"kiosk-revoked-{language}")
