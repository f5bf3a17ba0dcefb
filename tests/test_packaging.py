"""Packaging: the project metadata that the build backend reads at every install, the
wheels that cibuildwheel builds and tests, and (under `-m slow`) the sdist and the wheel
installed into fresh virtualenvs."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from 3.11")

ROOT = Path(__file__).resolve().parents[1]


def test_license_is_an_spdx_expression() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    licenses = pytest.importorskip("packaging.licenses", reason="packaging >= 24.2")
    assert isinstance(project["license"], str)  # the table form is deprecated (PEP 639)
    assert licenses.canonicalize_license_expression(project["license"]) == "MIT"
    # PEP 639: a license expression excludes the old "License ::" classifiers
    assert not [c for c in project["classifiers"] if c.startswith("License ::")]


def test_the_build_backend_reads_the_metadata_without_a_warning() -> None:
    """Warnings are errors in this suite: the deprecated ``license = {text = ...}`` table
    made the build warn at every install. meson-python reads the metadata through
    pyproject-metadata; with the SPDX string it reads it quietly, as a license expression."""
    metadata = pytest.importorskip("pyproject_metadata",
                                   reason="pyproject-metadata comes with meson-python")
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert data["build-system"]["build-backend"] == "mesonpy"
    meta = metadata.StandardMetadata.from_pyproject(data, allow_extra_keys=True)
    assert meta.license == "MIT"  # an expression, not a License object (the old table)
    assert meta.name == "nnmath"
    assert "version" in meta.dynamic


# -- wheels: [tool.cibuildwheel] ---------------------------------------------------------

CPYTHONS = ["cp310", "cp311", "cp312", "cp313", "cp314"]
PLATFORMS = {
    "linux": ["manylinux_x86_64", "manylinux_aarch64"],
    "macos": ["macosx_x86_64", "macosx_arm64"],
    "windows": ["win_amd64"],
}


@pytest.mark.skipif(shutil.which("cibuildwheel") is None,
                    reason="cibuildwheel is not installed (pip install cibuildwheel)")
@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_cibuildwheel_builds_the_documented_platforms(platform: str) -> None:
    """The wheels README.md promises, and no others (musllinux, free-threaded, 32-bit and
    PyPy are left out on purpose: see the comments in pyproject.toml)."""
    run = subprocess.run(
        ["cibuildwheel", "--print-build-identifiers", "--platform", platform],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("CIBW_")},
    )
    assert run.returncode == 0, run.stderr
    got = set(run.stdout.split())
    assert got == {f"{py}-{plat}" for py in CPYTHONS for plat in PLATFORMS[platform]}


def test_the_wheel_test_needs_only_what_it_installs() -> None:
    """cibuildwheel tests each wheel with its test-command and installs test-requires only:
    every module that the test files import (outside the standard library, nnmath and the
    tests' own helpers) must be in test-requires, or the wheel tests fail on a missing
    module."""
    cibw = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["cibuildwheel"]
    files = re.findall(r"\{project\}/(\S+\.py)", cibw["test-command"])
    assert files, cibw["test-command"]
    required = {re.split(r"[<>=!~ \[]", r, maxsplit=1)[0].lower() for r in cibw["test-requires"]}
    required |= {"numpy"}  # a dependency of nnmath itself
    helpers = {p.stem for p in (ROOT / "tests").iterdir()} | {"tests"}
    queue = [ROOT / f for f in files]
    seen: set[Path] = set()
    missing = set()
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        assert path.is_file(), path
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                # `from reference import mp_activations`: the name may be a submodule
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in helpers:  # tests/reference/...: follow it
                    sub = ROOT / "tests" / Path(*name.split(".")[1 if top == "tests" else 0:])
                    queue += [p for p in (sub.with_suffix(".py"), sub / "__init__.py")
                              if p.is_file()]
                elif top not in sys.stdlib_module_names and top not in {"nnmath", *required}:
                    missing.add(top)
    # modules the tests import only through pytest.importorskip are optional
    optional = set()
    for path in seen:
        optional |= set(re.findall(r"importorskip\(\s*\"([\w.]+)\"", path.read_text()))
    assert missing - {m.split(".")[0] for m in optional} == set()


# -- the sdist and the wheel, installed into fresh virtualenvs ----------------------------

@pytest.mark.slow
def test_dist_check(request) -> None:
    """`make dist-check` (tools/dist_check.sh): python -m build, the contents of the sdist
    and the wheel, a fresh venv for each, the sdist's tests against each (about 20 minutes
    on two cores, and it fetches the build tools and the test extra from the package
    index): only under `-m slow`."""
    if "slow" not in (request.config.option.markexpr or "").replace("not slow", ""):
        pytest.skip("builds and installs nnmath twice: run with -m slow")
    script = ROOT / "tools" / "dist_check.sh"
    run = subprocess.run([str(script), str(ROOT / "build" / "dist-check")],
                         cwd=ROOT, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "dist-check passed" in run.stdout
