"""Texts the domain gives people, in English in the code."""

from __future__ import annotations


def N_(text: str) -> str:
    """Marks an English text for the catalogues (`presence.i18n`, `tools/messages.py`): the channels that speak
    a person's language translate it when they show it."""
    return text
