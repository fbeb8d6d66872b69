#!/usr/bin/env python3
"""Bring the catalogues (src/presence/locale/<language>/LC_MESSAGES/messages.po) in step with the messages of the
code and templates: new messages are added untranslated, gone ones marked obsolete. Then translate what is
empty; `tests/test_i18n.py` fails while a message lacks a translation.

    .venv/bin/python tools/messages.py
"""

from __future__ import annotations

from babel.messages.pofile import read_po, write_po

from presence import i18n


def main() -> None:
    template = i18n.messages_in_source()
    for language in i18n.LANGUAGES:
        if language == i18n.SOURCE_LANGUAGE:
            continue
        path = i18n.catalogue_path(language)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as po:
                catalog = read_po(po, locale=language)
            catalog.update(template, update_header_comment=False, no_fuzzy_matching=True)
        else:
            from babel.messages.catalog import Catalog

            catalog = Catalog(locale=language, project="presence", charset="utf-8")
            catalog.update(template, no_fuzzy_matching=True)
        with path.open("wb") as po:
            write_po(po, catalog, width=120, omit_header=False, sort_output=False, include_previous=False,
                     ignore_obsolete=True)
        missing = sum(1 for message in catalog if message.id and not message.string)
        print(f"{language}: {len(catalog)} messages, {missing} to translate ({path})")


if __name__ == "__main__":
    main()
