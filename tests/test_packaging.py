"""pyproject.toml: the project metadata that setuptools reads at every install."""

from __future__ import annotations

import os
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


def test_setuptools_reads_the_metadata_without_a_warning() -> None:
    """Warnings are errors in this suite: the deprecated ``license = {text = ...}`` table
    makes setuptools warn at every install and fails here."""
    pyprojecttoml = pytest.importorskip("setuptools.config.pyprojecttoml",
                                        reason="setuptools reads pyproject.toml")
    from setuptools.dist import Distribution

    cwd = os.getcwd()
    os.chdir(ROOT)  # the version attribute is found relative to the project root
    try:
        dist = pyprojecttoml.apply_configuration(Distribution(), "pyproject.toml")
    finally:
        os.chdir(cwd)
    assert dist.metadata.license_expression == "MIT"
    assert dist.metadata.name == "nnmath"
