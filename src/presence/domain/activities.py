"""Cleaning activities a check-in may name (REST `activity`, refData). *Ours*: the public material does
not list them; these follow the joint committee for cleaning's usual split of the trade."""

from __future__ import annotations

ACTIVITIES: dict[str, dict[str, str]] = {
    "OFFICE": {"fr": "Nettoyage de bureaux", "nl": "Kantoorschoonmaak", "de": "Büroreinigung",
               "en": "Office cleaning"},
    "INDUSTRIAL": {"fr": "Nettoyage industriel", "nl": "Industriële schoonmaak", "de": "Industriereinigung",
                   "en": "Industrial cleaning"},
    "WINDOWS": {"fr": "Nettoyage de vitres", "nl": "Glazenwassen", "de": "Fensterreinigung",
                "en": "Window cleaning"},
    "HEALTHCARE": {"fr": "Nettoyage en milieu de soins", "nl": "Schoonmaak in de zorg",
                   "de": "Reinigung im Gesundheitswesen", "en": "Healthcare cleaning"},
    "TRANSPORT": {"fr": "Nettoyage de moyens de transport", "nl": "Schoonmaak van vervoermiddelen",
                  "de": "Reinigung von Verkehrsmitteln", "en": "Transport cleaning"},
    "AFTER_WORKS": {"fr": "Nettoyage après travaux", "nl": "Opkuis na werken", "de": "Bauendreinigung",
                    "en": "After-works cleaning"},
}
