"""The permissions of a web-service account: OAuth scopes, and the roles they give.

- `scope:check-in-and-out-work-rest:enterprise`: REST (cleaning), register (`registerInBulk`), cancel and
  consult; roles registrar and consultant.
- `scope:check-in-and-out-work-rest:professional`: REST (cleaning), consult only; role consultant.
- `scope:checkinatwork-soap` (*ours*): SOAP Checkinatwork, register, cancel and consult; role registrar.
- `scope:presence-declarations` (*ours*): the work declarations API, declare, change and consult; role declarant.

A channel counts only its own scopes: a caller authenticated by a token gets the roles of the scopes the channel
accepts (a SOAP-only token gives nothing on REST). The SOAP scope gives the registrar role alone, as a SOAP
caller authenticated by its certificate has (the registrar role also consults).
"""

from __future__ import annotations

from collections.abc import Iterable

from .visibility import Role

REST_ENTERPRISE = "scope:check-in-and-out-work-rest:enterprise"
REST_PROFESSIONAL = "scope:check-in-and-out-work-rest:professional"
SOAP = "scope:checkinatwork-soap"
DECLARATIONS = "scope:presence-declarations"

# In this order in every listing and token answer.
SCOPES: dict[str, str] = {
    REST_ENTERPRISE: "Check In and Out at Work (REST): register, cancel and consult presences",
    REST_PROFESSIONAL: "Check In and Out at Work (REST): consult presences",
    SOAP: "Checkinatwork (SOAP): register, cancel and consult presences",
    DECLARATIONS: "Work declarations (JSON API): declare, change and consult works",
}

REST_SCOPES = frozenset({REST_ENTERPRISE, REST_PROFESSIONAL})
SOAP_SCOPES = frozenset({SOAP})
DECLARATIONS_SCOPES = frozenset({DECLARATIONS})

_ROLES: dict[str, frozenset[Role]] = {
    REST_ENTERPRISE: frozenset({Role.REGISTRAR, Role.CONSULTANT}),
    REST_PROFESSIONAL: frozenset({Role.CONSULTANT}),
    SOAP: frozenset({Role.REGISTRAR}),
    DECLARATIONS: frozenset({Role.DECLARANT}),
}


class UnknownScope(ValueError):
    """A scope this service does not know. `str()` is safe to show."""


def ordered(scopes: Iterable[str]) -> tuple[str, ...]:
    """Known scopes, each once, in the catalogue's order."""
    wanted = set(scopes)
    return tuple(scope for scope in SCOPES if scope in wanted)


def parse(scopes: str | Iterable[str]) -> tuple[str, ...]:
    """A space-separated string (as in OAuth) or a list of scopes, checked and put in order; empty stays empty."""
    items = scopes.split() if isinstance(scopes, str) else [item for scope in scopes for item in scope.split()]
    unknown = [item for item in items if item not in SCOPES]
    if unknown:
        raise UnknownScope(f"unknown scope {unknown[0][:100]!r}: one of {', '.join(SCOPES)}")
    return ordered(items)


def joined(scopes: Iterable[str]) -> str:
    """The space-separated form (stored, and in token answers)."""
    return " ".join(ordered(scopes))


def roles(scopes: Iterable[str]) -> frozenset[Role]:
    """The roles a caller holding these scopes acts with (unknown scopes give nothing)."""
    return frozenset(role for scope in scopes for role in _ROLES.get(scope, ()))
