"""The licence ships: the EUPL v1.2 text at the repository's root, declared in pyproject.toml so that the wheel and
the sdist carry it."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_eupl_text_is_at_the_root_whole():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("EUROPEAN UNION PUBLIC LICENCE v. 1.2\nEUPL © the European Union 2007, 2016\n")
    articles = ["1.Definitions", "2.Scope of the rights granted by the Licence", "3.Communication of the Source Code",
                "4.Limitations on copyright", "5.Obligations of the Licensee", "6.Chain of Authorship",
                "7.Disclaimer of Warranty", "8.Disclaimer of Liability", "9.Additional agreements",
                "10.Acceptance of the Licence", "11.Information to the public", "12.Termination of the Licence",
                "13.Miscellaneous", "14.Jurisdiction", "15.Applicable Law", "Appendix"]
    lines = [line.strip() for line in text.splitlines()]
    assert [line for line in lines if line in articles] == articles
    assert "— European Union Public Licence (EUPL) v. 1.1, v. 1.2" in lines  # the compatible licences
    assert text.endswith("All other changes or additions to this Appendix require the production of a new EUPL "
                         "version.\n")


def test_pyproject_declares_it():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "EUPL-1.2"
    assert project["license-files"] == ["LICENSE"]
