"""The online service's pages (the start page and the README, for now)."""
