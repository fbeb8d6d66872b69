"""Durable background jobs: a table, and workers that claim, lease, retry and bury them."""
