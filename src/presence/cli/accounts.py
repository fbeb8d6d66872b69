"""`presence certificates` and `presence accounts`: enterprises' web-service accounts and certificates."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..clock import SystemClock
from ..domain import scopes as scope_rules
from ..domain.certificates import CertificateState
from .common import Column, WideOpt, app, as_operator, fail, make_runtime, open_database, out, print_table

certificates_app = typer.Typer(help="Enterprises' web-service authentication certificates.", no_args_is_help=True)
accounts_app = typer.Typer(help="Enterprises' web-service accounts (OAuth clients) and their permissions.",
                           no_args_is_help=True)
app.add_typer(certificates_app, name="certificates")
app.add_typer(accounts_app, name="accounts")


FINGERPRINT_START = 16  # hex digits of a fingerprint that `certificates list` shows: 64 bits, unique in practice


@certificates_app.command("add")
def certificates_add(
    enterprise: Annotated[str, typer.Option(help="The enterprise: KBO/BCE number, or a foreign "
                                                          "enterprise's VAT number (DE800010107).")],
    file: Annotated[Path, typer.Option(help="The certificate, PEM or DER (never the private key).", exists=True,
                                       dir_okay=False, readable=True)],
    name: Annotated[str | None, typer.Option(help="A name for the certificate (default: its common name, "
                                                  "else the file name).")] = None,
) -> None:
    """Register an authentication certificate for an enterprise, outside any account (for the SOAP channel;
    prints JSON). `presence accounts` manages web-service accounts, whose certificates also serve OAuth."""
    from ..services.access.certificates import default_name, register_certificate

    data = file.read_bytes()
    name = name or default_name(data, file.name)
    view = as_operator(register_certificate, enterprise, data, name)
    print(json.dumps(view.as_json(), indent=2))


@certificates_app.command("list")
def certificates_list(
    enterprise: Annotated[str | None, typer.Option(help="Only this enterprise's certificates.")] = None,
    wide: WideOpt = False,
) -> None:
    """List registered certificates, revoked ones included. The fingerprint shown is its start (enough for
    `certificates revoke`); --wide shows it whole, with the account's client id."""
    from ..services.access.certificates import list_certificates

    views = as_operator(list_certificates, enterprise)
    now = SystemClock().now()
    columns = [Column("fingerprint (SHA-256)" if wide else "fingerprint", whole=True),
               Column("enterprise", whole=True), Column("client id", whole=True, wide=True), Column("name"),
               Column("valid until"), Column("state")]
    rows = ([view.fingerprint if wide else view.fingerprint[:FINGERPRINT_START], view.enterprise,
             view.client_id or "", view.name, f"{view.not_after:%Y-%m-%d %H:%M} UTC", str(view.state(now))]
            for view in views)
    print_table(f"{len(views)} certificate(s)", columns, rows, wide)


@certificates_app.command("revoke")
def certificates_revoke(
    fingerprint: Annotated[str, typer.Argument(help="SHA-256 fingerprint of the certificate (hex), or its start "
                                                    "as `certificates list` shows it.")],
) -> None:
    """Revoke a certificate at once: requests signed with it are refused from now on."""
    from ..services.access.certificates import list_certificates, revoke_certificate

    runtime = make_runtime(open_database())
    start = fingerprint.replace(":", "").strip().lower()
    if FINGERPRINT_START <= len(start) < 64:  # the start shown by `certificates list`: the one it begins
        matches = [view.fingerprint for view in as_operator(list_certificates, runtime=runtime)
                   if view.fingerprint.startswith(start)]
        if len(matches) != 1:
            raise fail(f"{len(matches)} certificates have a fingerprint starting {start}: give it whole")
        fingerprint = matches[0]
    view = as_operator(revoke_certificate, fingerprint, runtime=runtime)
    out.print(f"certificate {view.fingerprint} of {view.enterprise} ({view.name}) revoked", highlight=False,
              markup=False)


# --- web-service accounts ---------------------------------------------------------------------------------

CertificateFile = Annotated[Path, typer.Option("--certificate", help="The certificate, PEM or DER (never the private "
                                                                     "key).", exists=True, dir_okay=False,
                                               readable=True)]
CertificateName = Annotated[str | None, typer.Option("--certificate-name", help="A name for the certificate "
                                                     "(default: its common name, else the file name).")]


class ListFormat(StrEnum):
    table = "table"
    json = "json"


ScopeOpt = Annotated[list[str], typer.Option("--scope", metavar="SCOPE",
                                             help="A permission (repeatable; default: all, listed below).")]
# The scopes' names in narrow tables; their full names (SCOPES) in JSON and with --wide.
SCOPE_NAMES = {scope_rules.REST_ENTERPRISE: "REST enterprise", scope_rules.REST_PROFESSIONAL: "REST professional",
               scope_rules.SOAP: "SOAP", scope_rules.DECLARATIONS: "declarations"}


@accounts_app.command("create", epilog="Permissions (--scope): " + "; ".join(
    f"{scope} ({meaning})" for scope, meaning in scope_rules.SCOPES.items()))
def accounts_create(
    enterprise: Annotated[str, typer.Option(help="The enterprise: KBO/BCE number, or a foreign "
                                                          "enterprise's VAT number (DE800010107).")],
    name: Annotated[str, typer.Option(help="A name for the account.")],
    certificate: CertificateFile,
    certificate_name: CertificateName = None,
    scope: ScopeOpt = [],  # noqa: B006
) -> None:
    """Create an enterprise's web-service account with its first certificate; prints the account as one JSON
    object, with its OAuth `client_id`."""
    from ..services.access.accounts import create_account
    from ..services.access.certificates import default_name

    data = certificate.read_bytes()
    view = as_operator(create_account, enterprise, name, data, certificate_name or default_name(data, certificate.name),
                       scope or list(scope_rules.SCOPES))
    print(json.dumps(view.as_json(), indent=2))


@accounts_app.command("add-certificate")
def accounts_add_certificate(
    client_id: Annotated[str, typer.Argument(help="The account's client id, self_service_expeditor_<N>.")],
    certificate: CertificateFile,
    certificate_name: CertificateName = None,
) -> None:
    """Add a certificate to an account (rollover); prints the account as JSON."""
    from ..services.access.accounts import add_certificate
    from ..services.access.certificates import default_name

    data = certificate.read_bytes()
    view = as_operator(add_certificate, client_id, data, certificate_name or default_name(data, certificate.name))
    print(json.dumps(view.as_json(), indent=2))


@accounts_app.command("set-scopes")
def accounts_set_scopes(
    client_id: Annotated[str, typer.Argument(help="The account's client id, self_service_expeditor_<N>.")],
    scope: Annotated[list[str], typer.Option("--scope", help="A permission (repeatable, at least one).")],
) -> None:
    """Replace an account's permissions; prints the account as JSON."""
    from ..services.access.accounts import change_scopes

    view = as_operator(change_scopes, client_id, scope)
    print(json.dumps(view.as_json(), indent=2))


@accounts_app.command("list")
def accounts_list(
    enterprise: Annotated[str | None, typer.Option(help="Only this enterprise's accounts.")] = None,
    output: Annotated[ListFormat, typer.Option("--format", help="table or json.")] = ListFormat.table,
    wide: WideOpt = False,
) -> None:
    """List web-service accounts, revoked ones included (--wide: the scopes' full names, certificates)."""
    from ..services.access.accounts import list_accounts

    views = as_operator(list_accounts, enterprise)
    if output is ListFormat.json:
        print(json.dumps([view.as_json() for view in views], indent=2))
        return
    now = SystemClock().now()
    columns = [Column("client id", whole=True), Column("enterprise", whole=True), Column("name"),
               Column("scopes", whole=True), Column("certificates", wide=True), Column("state")]
    rows = ([view.client_id, view.enterprise, view.name,
             "\n".join(view.scopes if wide else (SCOPE_NAMES[scope] for scope in view.scopes)),
             f"{sum(1 for c in view.certificates if c.state(now) is CertificateState.ACTIVE)} "
             f"active of {len(view.certificates)}",
             f"revoked {view.revoked_at:%Y-%m-%d %H:%M} UTC" if view.revoked_at else "active"] for view in views)
    print_table(f"{len(views)} account(s)", columns, rows, wide)


@accounts_app.command("revoke")
def accounts_revoke(
    client_id: Annotated[str, typer.Argument(help="The account's client id, self_service_expeditor_<N>.")],
) -> None:
    """Revoke an account at once, with its certificates and its access tokens."""
    from ..services.access.accounts import revoke_account

    view = as_operator(revoke_account, client_id)
    out.print(f"account {view.client_id} of {view.enterprise} ({view.name}) revoked, with its "
              f"{len(view.certificates)} certificate(s)", highlight=False, markup=False)
