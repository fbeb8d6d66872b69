"""`python -m presence.cli`: the `presence` command."""

from . import main

main()
