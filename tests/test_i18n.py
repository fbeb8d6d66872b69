"""The four languages: every message of the code and the templates is translated in fr, nl and de (this test
fails while one is not: run `tools/messages.py`, then translate), with the same placeholders; the language a
browser asks for; dates, times and numbers as each language writes them, in Belgian time."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from babel.messages.pofile import read_po

from presence import i18n

TRANSLATED = [language for language in i18n.LANGUAGES if language != i18n.SOURCE_LANGUAGE]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.fixture(scope="module")
def source():
    return {message.id if isinstance(message.id, str) else tuple(message.id): message
            for message in i18n.messages_in_source() if message.id}


def catalogue(language: str):
    with i18n.catalogue_path(language).open("rb") as po:
        return read_po(po, locale=language)


def placeholders(text) -> set[str]:
    texts = text if isinstance(text, tuple) else (text,)
    return {name for part in texts for name in PLACEHOLDER.findall(part or "")}


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_with_the_same_placeholders(source, language):
    translated = {message.id if isinstance(message.id, str) else tuple(message.id): message
                  for message in catalogue(language) if message.id}
    missing = [key for key in source if key not in translated or not translated[key].string
               or (isinstance(translated[key].string, tuple) and not all(translated[key].string))
               or translated[key].fuzzy]
    assert not missing, f"{language}: {len(missing)} message(s) to translate (tools/messages.py): {missing[:5]}"
    wrong = [key for key in source if placeholders(translated[key].string) != placeholders(key)]
    assert not wrong, f"{language}: placeholders differ from the English in {wrong[:5]}"
    stale = [key for key in translated if key not in source]
    assert not stale, f"{language}: messages no longer in the code (tools/messages.py drops them): {stale[:5]}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_translation_is_what_the_code_gets(language):
    with i18n.using(language):
        assert i18n.gettext("Sign in") != "Sign in"
        assert "3" in i18n.ngettext("Set up; %(num)s recovery code left.", "Set up; %(num)s recovery codes left.", 3)
        assert "12" in i18n.gettext("Use at least %(count)s characters: a few words you remember make a good "
                                    "password.", count=12)


@pytest.mark.parametrize(("header", "expected"), [
    ("nl-BE,nl;q=0.9,en;q=0.8", "nl"),
    ("de-DE", "de"),
    ("es-ES,es;q=0.9,fr;q=0.5", "fr"),  # the first of ours it names
    ("en;q=0.2, fr;q=0.9", "fr"),  # by quality, not by order
    ("fr;q=0, nl", "nl"),  # q=0: not wanted
    ("es, it", None),
    ("", None),
    (None, None),
    ("garbage;;q=x,,", None),
])
def test_the_language_a_browser_asks_for(header, expected):
    assert i18n.negotiate(header) == expected


def test_dates_times_and_numbers_as_each_language_writes_them_in_belgian_time():
    winter = datetime(2026, 3, 3, 8, 30, tzinfo=UTC)  # 09:30 in Brussels
    summer = datetime(2026, 7, 1, 22, 15, tzinfo=UTC)  # 00:15 the next day in Brussels
    expected = {"fr": ("3 mars 2026", "3 mars 2026, 09:30", "1 234,5", "620 000,50 €"),
                "nl": ("3 maart 2026", "3 mrt 2026, 09:30", "1.234,5", "€ 620.000,50"),
                "de": ("3. März 2026", "03.03.2026, 09:30", "1.234,5", "620.000,50 €"),
                "en": ("3 March 2026", "03 Mar 2026, 09:30", "1.234,5", "620.000,50 €")}
    for language, (day, instant, number, money) in expected.items():
        with i18n.using(language):
            assert i18n.format_date(date(2026, 3, 3)) == day
            assert i18n.format_datetime(winter).replace("\u202f", " ") == instant
            assert i18n.format_number(1234.5).replace("\u202f", " ") == number
            assert i18n.format_time(summer) == "00:15"
            assert i18n.format_money(Decimal("620000.5")).replace("\u202f", " ").replace("\xa0", " ") == money
