"""Use cases: the only code that changes state. Every channel calls these; each writes its audit event in
the transaction of its change."""
