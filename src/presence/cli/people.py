"""`presence users`, `presence access` and `presence personas`: people who sign in to the web pages, the roles
they hold for enterprises, and the simulation's personas."""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Annotated

import typer

from ..config import Environment, get_settings
from .common import Column, WideOpt, app, as_operator, fail, make_runtime, open_database, out, print_table

users_app = typer.Typer(help="People who sign in to the web pages.", no_args_is_help=True)
access_app = typer.Typer(help="The roles people hold for enterprises (access management).", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(access_app, name="access")


@users_app.command("add")
def users_add(
    national_number: Annotated[str, typer.Option(help="The person's national number or BIS number.")],
    email: Annotated[str, typer.Option(help="The person's e-mail address (also a sign-in name).")],
    name: Annotated[str, typer.Option(help="The person's name, as shown in the pages.")],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from standard input (else: print an enrolment link, valid "
                                 "7 days, with which the person chooses it).")] = False,
    language: Annotated[str | None, typer.Option(help="fr, nl, de or en (else: that of his first sign-in).")] = None,
) -> None:
    """Create a person's built-in account. He sets up his one-time codes at his first sign-in."""
    from ..services.access.users import create_user

    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    created = as_operator(create_user, national_number, name, email, password=password, language=language)
    out.print(f"account {created.user.id} created for {created.user.name}", highlight=False)
    if created.enrolment_token:
        base = (get_settings().public_url or "http://127.0.0.1:8000").rstrip("/")
        out.print(f"enrolment link (valid 7 days, once): {base}/enrol/{created.enrolment_token}", highlight=False,
                  soft_wrap=True)


@access_app.command("grant")
def access_grant(
    enterprise: Annotated[str, typer.Option(help="The enterprise: KBO/BCE number or foreign VAT number.")],
    national_number: Annotated[str, typer.Option(help="The person's national number or BIS number.")],
    role: Annotated[str, typer.Option(help="access_manager, technical_manager, registrar or consultant.")],
    until: Annotated[str | None, typer.Option(help="The role's last day (YYYY-MM-DD); else until revoked.")] = None,
) -> None:
    """Grant a role for an enterprise to a person (he need not have an account yet)."""
    from ..services.access.roles import grant_role

    try:
        ends_on = date.fromisoformat(until) if until else None
    except ValueError:
        raise fail("--until: a date as YYYY-MM-DD", 2) from None
    grant = as_operator(grant_role, enterprise, national_number, role, ends_on, channel="OPERATOR")
    out.print(f"role {grant.role} granted for {enterprise.strip()} (grant {grant.id})"
              + (f" until {grant.ends_on}" if grant.ends_on else ""), highlight=False)


@access_app.command("list")
def access_list(
    enterprise: Annotated[str, typer.Option(help="The enterprise: KBO/BCE number or foreign VAT number.")],
) -> None:
    """The roles in force for an enterprise (national numbers masked)."""
    from ..domain.identifiers import mask_inss
    from ..services.access.roles import grants_of

    grants = as_operator(grants_of, enterprise)
    print_table(f"{len(grants)} role(s)", [Column("grant", whole=True), Column("person"),
                                           Column("national number", whole=True), Column("role", whole=True),
                                           Column("until", whole=True)],
                ([str(g.id), g.person_name or "(no account)", mask_inss(g.national_number), str(g.role),
                  str(g.ends_on or "revoked")] for g in grants))


@access_app.command("revoke")
def access_revoke(
    enterprise: Annotated[str, typer.Option(help="The enterprise: KBO/BCE number or foreign VAT number.")],
    grant: Annotated[int, typer.Option(help="The grant's number, as `presence access list` shows it.")],
) -> None:
    """Revoke a role: it stops at the person's next request."""
    from ..services.access.roles import revoke_grant

    revoked = as_operator(revoke_grant, enterprise, grant, channel="OPERATOR")
    out.print(f"role {revoked.role} revoked (grant {revoked.id})", highlight=False)


@app.command()
def personas(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document, for scripts.")] = False,
    wide: WideOpt = False,
) -> None:
    """The simulation's personas, one per role, with their passwords and one-time-code secrets (simulation
    environment only: `presence demo` creates them)."""
    from ..sources.personas import PERSONAS, display_name

    if get_settings().environment is not Environment.SIMULATION:
        raise fail("personas exist only in the simulation environment (their passwords are public)", 2)
    runtime = make_runtime(open_database())
    now = runtime.clock.now()
    rows = [{"key": p.key, "role": p.role, "name": display_name(runtime, p), "national_number": p.national_number,
             "email": p.email, "password": p.password, "totp_secret": p.totp_secret, "code_now": p.code(now)}
            for p in PERSONAS]
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    out.print("Sign in with the e-mail, the password and the code now (--wide: the secrets).", highlight=False)
    print_table("Personas of the simulation",
                [Column("persona", whole=True), Column("national number", whole=True), Column("password", whole=True),
                 Column("code now", whole=True), Column("name", wide=True), Column("role", wide=True),
                 Column("one-time-code secret", whole=True, wide=True), Column("e-mail", whole=True, wide=True)],
                ([r["key"], r["national_number"], r["password"], r["code_now"], r["name"], r["role"],
                  r["totp_secret"], r["email"]] for r in rows), wide)
