"""Settings: production refuses the defaults meant for a developer's machine; checked on a real `presence serve`."""

from __future__ import annotations

import os
import subprocess

import pytest

from presence.config import Environment, Settings, get_settings

from .test_cli import PRESENCE, free_port, wait_for_health

SECRET = "k" * 40
PRODUCTION = {"PRESENCE_ENVIRONMENT": "production", "PRESENCE_SECRET_KEY": SECRET,
              "PRESENCE_PUBLIC_URL": "https://presence.example.be"}


def environment(**settings: str) -> dict[str, str]:
    """This process's environment without any PRESENCE_ setting, plus `settings`."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("PRESENCE_")}, **settings}


def test_outside_production_nothing_is_required(monkeypatch):
    monkeypatch.delenv("PRESENCE_ENVIRONMENT", raising=False)
    assert Settings(_env_file=None).missing_for_production() == []


def test_production_names_each_missing_setting_and_refuses_a_short_secret_key(monkeypatch):
    for name in ("PRESENCE_SECRET_KEY", "PRESENCE_PUBLIC_URL", "PRESENCE_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PRESENCE_ENVIRONMENT", "production")
    missing = Settings(_env_file=None).missing_for_production()
    assert [name.split()[0] for name in missing] == ["PRESENCE_SECRET_KEY", "PRESENCE_PUBLIC_URL",
                                                     "PRESENCE_DATABASE_URL"]
    monkeypatch.setenv("PRESENCE_SECRET_KEY", "short")
    monkeypatch.setenv("PRESENCE_PUBLIC_URL", "https://presence.example.be")
    monkeypatch.setenv("PRESENCE_DATABASE_URL", "sqlite:///chosen.db")  # SQLite, chosen on purpose
    assert [name.split()[0] for name in Settings(_env_file=None).missing_for_production()] == [
        "PRESENCE_SECRET_KEY"]
    monkeypatch.setenv("PRESENCE_SECRET_KEY", SECRET)
    assert Settings(_env_file=None).missing_for_production() == []


def test_settings_are_read_once_per_process(monkeypatch):
    monkeypatch.setenv("PRESENCE_ENVIRONMENT", "simulation")
    first = get_settings()
    monkeypatch.setenv("PRESENCE_ENVIRONMENT", "production")
    assert get_settings() is first and first.environment is Environment.SIMULATION


def test_production_serve_without_its_settings_exits_2_naming_each(tmp_path):
    result = subprocess.run([PRESENCE, "serve", "--port", str(free_port())], capture_output=True, text=True,
                            env=environment(PRESENCE_ENVIRONMENT="production"), cwd=tmp_path, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    for name in ("PRESENCE_SECRET_KEY", "PRESENCE_PUBLIC_URL", "PRESENCE_DATABASE_URL"):
        assert name in result.stderr
    assert not (tmp_path / "var").exists()  # no default database made on the way


@pytest.mark.parametrize("missing", ["PRESENCE_SECRET_KEY", "PRESENCE_PUBLIC_URL"])
def test_production_serve_without_one_setting_names_that_one(db, tmp_path, missing):
    settings = {**PRODUCTION, "PRESENCE_DATABASE_URL": db.url}
    del settings[missing]
    result = subprocess.run([PRESENCE, "serve", "--port", str(free_port())], capture_output=True, text=True,
                            env=environment(**settings), cwd=tmp_path, timeout=60)
    assert result.returncode == 2 and missing in result.stderr
    assert (set(PRODUCTION) - {missing}).isdisjoint(result.stderr.split())


def test_production_serve_with_its_settings_starts(db, tmp_path):
    port = free_port()
    server = subprocess.Popen([PRESENCE, "serve", "--no-worker", "--port", str(port)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
                              env=environment(**PRODUCTION, PRESENCE_DATABASE_URL=db.url))
    try:
        first_line = server.stdout.readline()
        assert f"listening on http://127.0.0.1:{port}" in first_line and "production" in first_line, first_line
        health = wait_for_health(port)
        assert server.poll() is None and health["status"] == "ok" and health["environment"] == "production"
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()
