"""`presence accounts`: an operator scripts channel management (a real process, a real database)."""

from __future__ import annotations

import json

from presence.domain import scopes
from presence.testing.wssecurity import der, make_certificate, pem

from .test_cli import run


def test_accounts_create_prints_one_json_object_with_the_client_id(db, tmp_path):
    certificate = tmp_path / "client.pem"
    certificate.write_bytes(pem(make_certificate()[1]))
    created = run(db.url, "accounts", "create", "--enterprise", "0448181966", "--name", "time clock",
                  "--certificate", str(certificate), "--scope", scopes.REST_ENTERPRISE, "--scope", scopes.SOAP)
    account = json.loads(created.stdout)
    assert account["client_id"].startswith("self_service_expeditor_")
    assert account["enterprise"] == "0448181966" and account["name"] == "time clock"
    assert account["scopes"] == [scopes.REST_ENTERPRISE, scopes.SOAP]
    [cert] = account["certificates"]
    assert cert["name"] == "presence test client" and cert["account_id"] == account["id"]

    # Refused input: exit 1 and a clear message.
    again = run(db.url, "accounts", "create", "--enterprise", "0448181966", "--name", "again", "--certificate",
                str(certificate), check=False)
    assert again.returncode == 1 and "already has an active web-service account" in again.stderr
    weak = tmp_path / "weak.pem"
    weak.write_bytes(pem(make_certificate(bits=1024)[1]))
    refused = run(db.url, "accounts", "create", "--enterprise", "0566988259", "--name", "x", "--certificate",
                  str(weak), check=False)
    assert refused.returncode == 1 and "RSA key of 1024 bits: 2048, 3072 or 4096 required" in refused.stderr
    unknown = run(db.url, "accounts", "create", "--enterprise", "0566988259", "--name", "x", "--certificate",
                  str(certificate), "--scope", "everything", check=False)
    assert unknown.returncode == 1 and "unknown scope 'everything'" in unknown.stderr

    # Without --scope: every scope.
    other = tmp_path / "other.der"
    other.write_bytes(der(make_certificate("ec")[1]))
    second = json.loads(run(db.url, "accounts", "create", "--enterprise", "0566988259", "--name", "y",
                            "--certificate", str(other), "--certificate-name", "EC key").stdout)
    assert second["scopes"] == list(scopes.SCOPES) and second["certificates"][0]["name"] == "EC key"

    listed = json.loads(run(db.url, "accounts", "list", "--format", "json").stdout)
    assert [a["client_id"] for a in listed] == [account["client_id"], second["client_id"]]
    assert account["client_id"] in run(db.url, "accounts", "list").stdout
    assert "revoked" in run(db.url, "accounts", "revoke", account["client_id"]).stdout
    assert run(db.url, "accounts", "revoke", account["client_id"], check=False).returncode == 1


def test_a_foreign_enterprise_gets_an_account_and_certificates_by_its_vat_number(db, tmp_path):
    certificate, other = tmp_path / "client.pem", tmp_path / "soap.pem"
    certificate.write_bytes(pem(make_certificate()[1]))
    other.write_bytes(pem(make_certificate()[1]))
    created = run(db.url, "accounts", "create", "--enterprise", "de 800.010.107", "--name", "Bau GmbH clock",
                  "--certificate", str(certificate))
    account = json.loads(created.stdout)
    assert account["enterprise"] == "DE800010107" and account["client_id"].startswith("self_service_expeditor_")
    added = json.loads(run(db.url, "certificates", "add", "--enterprise", "DE800010107", "--file", str(other)).stdout)
    assert added["client_id"] == account["client_id"]
    listed = run(db.url, "certificates", "list", "--enterprise", "DE800010107").stdout
    assert "2 certificate(s)" in listed and "DE800010107" in listed

    wrong = run(db.url, "accounts", "create", "--enterprise", "DE800010108", "--name", "x", "--certificate",
                str(other), check=False)
    assert (wrong.returncode, wrong.stderr) == (1, "error: foreign VAT number: wrong check digits\n")
