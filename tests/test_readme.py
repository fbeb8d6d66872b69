"""The README stands alone: a clone of the repository has every file it names, and nothing points at documents
a clone lacks (the contract notes the project was written from); the source's docstrings neither."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
# The contract notes beside the repository, which a clone does not have.
ELSEWHERE = re.compile(r"\.\./|shared/contract|\b(auth|declarations|people|rest|rules|soap)\.md\b")


def tracked() -> set[str]:
    """The repository's files and folders, at any depth, as a clone has them."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    paths = set(files)
    for file in files:
        parts = file.split("/")
        paths.update("/".join(parts[:n]) for n in range(1, len(parts)))
    return paths


def test_the_readme_points_at_nothing_a_clone_lacks():
    assert [line for line in README.splitlines() if ELSEWHERE.search(line)] == []


def test_every_file_the_readme_names_is_in_the_repository():
    repository = tracked()
    top = {path for path in repository if "/" not in path}
    named = set(re.findall(r"`([\w.-]+(?:/[\w.-]+)*/?)`", README)) | set(re.findall(r"\]\(([^)#:]+)\)", README))
    named = {name.rstrip("/") for name in named if name.split("/")[0] in top}
    assert named >= {"LICENSE", "src/presence/data/NOTICE", "tools/build_localities.py"}
    assert sorted(named - repository) == []


def test_docstrings_and_comments_point_at_nothing_a_clone_lacks():
    found = [f"{path.relative_to(ROOT)}:{number}"
             for path in sorted((ROOT / "src").rglob("*.py"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if ELSEWHERE.search(line)]
    assert found == []
