"""Pure rules of presence registration: no I/O, no database, no clock of its own."""
