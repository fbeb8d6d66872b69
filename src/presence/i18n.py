"""The four languages of the service (fr, nl, de, en): gettext catalogues, the language of the moment, and dates,
times and numbers in that language's format, in Belgian time.

Messages are written in English in the code and the templates (`gettext("...")`, `{{ _("...") }}`); their
translations are in `locale/<language>/LC_MESSAGES/messages.po`, compiled by Babel when first needed (no compiled
files to keep in step). `python3 tools/messages.py` extracts new messages into the catalogues;
`tests/test_i18n.py` fails while one lacks a translation.

The language of the moment is a context variable (`using`), set by the web channel for each request, so that
services, templates and e-mails all speak the person's language without passing it around.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from io import BytesIO
from pathlib import Path

from .clock import BRUSSELS

# Babel is imported where it is used: `gettext` is called from everywhere, the domain's rules included, and what
# only speaks English (the command line, the machine channels) should not pay for loading Babel's data.

LANGUAGES = ("fr", "nl", "de", "en")  # in the order of the language switch
SOURCE_LANGUAGE = "en"  # the language of the messages in the code
DEFAULT_LANGUAGE = "en"  # when nothing says which: understood by most posted workers
NAMES = {"fr": "Français", "nl": "Nederlands", "de": "Deutsch", "en": "English"}  # each in its own language
LOCALE_DIR = Path(__file__).parent / "locale"
# Formats are Belgian: fr_BE, nl_BE, de_BE; English in Belgium (en_BE: day before month, 24-hour clock).
_LOCALES = {"fr": "fr_BE", "nl": "nl_BE", "de": "de_BE", "en": "en_BE"}

_current: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"


@cache
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalogue of `language` (English: the messages as written)."""
    if language == SOURCE_LANGUAGE or language not in LANGUAGES:
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with catalogue_path(language).open("rb") as po:
        catalog = read_po(po, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return _gettext.GNUTranslations(compiled)


def language() -> str:
    """The language of the moment."""
    return _current.get()


@contextmanager
def using(language: str) -> Iterator[None]:
    token = _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _current.reset(token)


def speak(language: str) -> None:
    """From now on in this task (a web request), speak `language`; its threads inherit it."""
    _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def gettext(message: str, **values) -> str:
    """`message` in the language of the moment, with `%(name)s` placeholders filled from `values`."""
    text = translations(_current.get()).gettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int, **values) -> str:
    text = translations(_current.get()).ngettext(singular, plural, n)
    return text % {"num": n, **values}


def lazy(message: str) -> str:
    """Marks a message for extraction where it is defined, to be translated where it is shown (`gettext`)."""
    return message


def supported(language: str | None) -> str | None:
    """`language` (a tag such as `nl-BE` or `FR`) as one of ours, or None."""
    if not language:
        return None
    primary = language.strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in LANGUAGES else None


def negotiate(accept_language: str | None) -> str | None:
    """The best of our languages for an `Accept-Language` header, by its q-values; None when none fits."""
    if not accept_language:
        return None
    wanted = []
    for position, part in enumerate(accept_language.split(",")[:20]):
        tag, _, parameters = part.strip().partition(";")
        quality = 1.0
        if parameters.strip().startswith("q="):
            try:
                quality = float(parameters.strip()[2:])
            except ValueError:
                continue
        ours = supported(tag)
        if ours and quality > 0:
            wanted.append((-quality, position, ours))
    return min(wanted)[2] if wanted else None


def locale(language: str | None = None):
    """Babel's `Locale` of `language` (default: the language of the moment), with its Belgian formats."""
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(_LOCALES[language or _current.get()])
    except (KeyError, UnknownLocaleError):
        return Locale.parse(_LOCALES[DEFAULT_LANGUAGE])


def format_date(day: date, format: str = "long") -> str:
    """A day as people of the language of the moment write it (`long`: 5 décembre 2026, 5 december 2026...)."""
    from babel.dates import format_date as babel_format_date

    return babel_format_date(day, format=format, locale=locale())


def format_datetime(instant: datetime, format: str = "medium") -> str:
    """An instant in Belgian time, to the minute, as the language of the moment joins a date and a time
    (`medium`: 3 mars 2026 09:30, 3 Mar 2026, 09:30)."""
    local = instant.astimezone(BRUSSELS)
    pattern = str(locale().datetime_formats[format])
    return pattern.replace("{1}", format_date(local.date(), format)).replace("{0}", format_time(instant, "short"))


def format_time(instant: datetime, format: str = "short") -> str:
    """The hour and minute in Belgian time (`short`: 14:05)."""
    from babel.dates import format_time as babel_format_time

    return babel_format_time(instant, format=format, tzinfo=BRUSSELS, locale=locale())


def format_money(amount) -> str:
    """An amount in euros as the language of the moment writes it, cents included (620 000,50 €)."""
    from babel.numbers import format_currency

    return format_currency(amount, "EUR", locale=locale())


def format_number(number: int | float) -> str:
    from babel.numbers import format_decimal

    return format_decimal(number, locale=locale())


# --- the catalogues' upkeep (tools/messages.py, tests/test_i18n.py) -----------------------------------------

KEYWORDS = {"gettext": None, "ngettext": (1, 2), "lazy": None, "N_": None, "_": None}


def messages_in_source():
    """Every message marked in the package (Python: `gettext`, `ngettext`, `lazy`, `N_`; templates: `_`,
    `gettext`, `ngettext`), as a Babel catalogue template."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    package = Path(__file__).parent
    catalog = Catalog(project="presence", charset="utf-8")
    templates = ("channels/web/templates/**.html", "gateway/templates/**.html")
    methods = [*((pattern, "jinja2.ext:babel_extract") for pattern in templates), ("**.py", "python")]
    jinja = {"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True"}
    options = {pattern: jinja for pattern in templates}
    for filename, line, message, comments, context in extract_from_dir(package, methods, options, KEYWORDS,
                                                                        strip_comment_tags=True):
        catalog.add(message, None, [(filename, line)], auto_comments=comments, context=context)
    return catalog
