"""`presence personas`, `presence users` and `presence access`: the simulation's people, and an operator scripting
accounts and roles (a real process, a real database)."""

from __future__ import annotations

import json
import os
import subprocess

import pyotp
import pytest

from presence.config import Environment
from presence.services.errors import NotAllowed
from presence.services.runtime import Runtime
from presence.sources.personas import PERSONAS, create_personas

from .test_cli import PRESENCE, assert_fits_80, run, run_80


def test_demo_creates_the_personas_and_personas_lists_them(db):
    demo = run(db.url, "demo", "--size", "small")
    assert f"{len(PERSONAS)} personas" in demo.stdout
    listed = json.loads(run(db.url, "personas", "--json").stdout)
    assert [p["key"] for p in listed] == [p.key for p in PERSONAS]
    manager = next(p for p in listed if p["key"] == "manager")
    assert manager["name"] == "Nathalie Lambert" and manager["password"] == "manager-simulation"
    assert pyotp.TOTP(manager["totp_secret"]).verify(manager["code_now"], valid_window=1)
    builder = next(p for p in listed if p["key"] == "builder")
    assert builder["name"] == "Jan Janssens"  # from the national register of the dataset
    table = run_80(db.url, "personas").stdout
    assert_fits_80(table)
    assert "manager-simulation" in table


def test_production_refuses_to_list_personas(db):
    env = {**os.environ, "PRESENCE_DATABASE_URL": db.url, "PRESENCE_ENVIRONMENT": "production",
           "PRESENCE_SECRET_KEY": "x" * 40, "PRESENCE_PUBLIC_URL": "https://registry.example"}
    refused = subprocess.run([PRESENCE, "personas"], capture_output=True, text=True, env=env, timeout=120)
    assert refused.returncode == 2 and "only in the simulation environment" in refused.stderr
    assert "simulation" not in refused.stdout


def test_users_add_and_access_grant_for_operators_and_scripts(db):
    created = run(db.url, "users", "add", "--national-number", "85.07.30-033.28", "--email", "Ann@Example.be",
                  "--name", "Ann Smet")
    assert "account" in created.stdout and "/enrol/" in created.stdout  # no password given: an enrolment link
    with_password = subprocess.run(
        [PRESENCE, "users", "add", "--national-number", "78012340961", "--email", "jan@example.be", "--name",
         "Jan Janssens", "--password-stdin"], input="a long enough password\n", capture_output=True, text=True,
        env={**os.environ, "PRESENCE_DATABASE_URL": db.url}, timeout=120)
    assert with_password.returncode == 0 and "/enrol/" not in with_password.stdout
    again = run(db.url, "users", "add", "--national-number", "85073003328", "--email", "other@example.be",
                "--name", "Someone", check=False)
    assert again.returncode == 1 and "already an account" in again.stderr
    wrong = run(db.url, "users", "add", "--national-number", "85073003329", "--email", "x@example.be", "--name",
                "X", check=False)
    assert wrong.returncode == 1 and "wrong check digits" in wrong.stderr and "85073003329" not in wrong.stderr
    short = subprocess.run(
        [PRESENCE, "users", "add", "--national-number", "80051393995", "--email", "short@example.be", "--name",
         "Short", "--password-stdin"], input="short\n", capture_output=True, text=True,
        env={**os.environ, "PRESENCE_DATABASE_URL": db.url}, timeout=120)
    assert short.returncode == 1 and "at least 12 characters" in short.stderr

    granted = run(db.url, "access", "grant", "--enterprise", "0448.181.966", "--national-number", "85073003328",
                  "--role", "registrar", "--until", "2099-12-31")
    assert "registrar granted" in granted.stdout
    listed = run(db.url, "access", "list", "--enterprise", "0448181966").stdout
    assert "Ann Smet" in listed and "850730*****" in listed and "85073003328" not in listed
    unknown_role = run(db.url, "access", "grant", "--enterprise", "0448181966", "--national-number",
                       "85073003328", "--role", "king", check=False)
    assert unknown_role.returncode == 1 and "Choose a role" in unknown_role.stderr
    grant_id = granted.stdout.split("(grant ")[1].split(")")[0]
    assert "revoked" in run(db.url, "access", "revoke", "--enterprise", "0448181966", "--grant", grant_id).stdout
    assert "Ann Smet" not in run(db.url, "access", "list", "--enterprise", "0448181966").stdout


def test_personas_are_never_created_in_production(demo_db, clock):
    with pytest.raises(NotAllowed):
        create_personas(Runtime(db=demo_db, clock=clock, environment=Environment.PRODUCTION))
