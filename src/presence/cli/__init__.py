"""The `presence` command: run the registry and operate it. A module per area adds its commands to `app`, in the
order `presence --help` lists them."""
# isort: skip_file

from .common import app, main
from . import serving, sources, registrations, database, jobs, accounts, people, gateway  # noqa: F401 - they add commands

__all__ = ["app", "main"]
