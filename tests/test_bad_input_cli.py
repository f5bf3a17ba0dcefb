"""Odd arguments to ``nnmath plot`` and ``nnmath describe``: one line and status 2, or the
right answer; never a warning, a traceback or a meaningless message.

Expected values are typed in (hand-derived); each case was found by attacking the command.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import pytest

from nnmath.cli import main


def one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str], *fragments: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning printed by matplotlib is a failure too
        assert main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nnmath: error: "), err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.mark.parametrize("argv, fragments", [
    # values of 1e308: matplotlib's axis arithmetic overflowed ("Singular matrix", warnings)
    (["relu", "--param", "negative_slope=1e308"], ("relu: f reaches", "1e+300")),
    (["threshold", "--param", "threshold=1", "--param", "default_value=1e308"],
     ("threshold: f reaches 1e+308",)),
    # kinks at ±1e308: np.linspace overflowed ("Axis limits cannot be NaN or Inf")
    (["hard_tanh", "--param", "min_val=-1e308", "--param", "max_val=1e308"],
     ("hard_tanh: a range that shows its kinks", "choose smaller parameters")),
    (["relu", "--range", "-1e308", "1e308"], ("the range must be", "within ±1e+300")),
])
def test_plot_refuses_what_no_figure_can_show(tmp_path: Path, capsys, argv, fragments) -> None:
    pytest.importorskip("matplotlib")  # without the plot extra the command says so first
    one_line_error(capsys, ["plot", *argv, "--out", str(tmp_path / "f.png")], *fragments)
    assert not (tmp_path / "f.png").exists()


def test_plot_range_takes_negative_numbers_in_any_notation(tmp_path: Path, capsys) -> None:
    # argparse took "-1e3" for an option: "expected 2 arguments"
    out = tmp_path / "f.png"
    assert main(["plot", "relu", "--range", "-1e3", "-1E1", "--out", str(out)]) == 0
    assert out.stat().st_size > 0
    one_line_error(capsys, ["plot", "relu", "--range", "-inf", "1", "--out", str(out)],
                   "--range", "finite")


@pytest.mark.parametrize("name, f_at_minus_1", [
    ("softmax", 1 / (1 + math.e)),  # softmax([-1, 0])_0 = e^-1 / (e^-1 + 1)
    ("glu", -1 / (1 + math.e)),  # glu([-1, -1]) = -1 * sigmoid(-1)
    ("sparsemax", 0.0),  # sparsemax([-1, 0]) = [0, 1]
])
def test_describe_axis_activation_with_another_axis(capsys, name, f_at_minus_1) -> None:
    # the slice was taken along axis 0 of the (points, 2) array: a zip() error, or wrong values
    import json

    assert main(["describe", name, "--json", "--param", "axis=0"]) == 0
    values = json.loads(capsys.readouterr().out)["values"]
    f = dict(zip(values["x"], values["f"], strict=True))
    assert f[-1] == pytest.approx(f_at_minus_1, rel=1e-12, abs=1e-15)


def test_plot_out_an_existing_directory_says_so(tmp_path: Path, capsys) -> None:
    # it said "unknown figure format '(none)'"
    one_line_error(capsys, ["plot", "relu", "--out", str(tmp_path)], "is a directory",
                   str(tmp_path / "relu.png"))


def test_tour_out_an_existing_file_says_what_to_do(tmp_path: Path, capsys) -> None:
    # it said "File exists" and nothing else
    f = tmp_path / "taken"
    f.write_text("x")
    one_line_error(capsys, ["tour", "--out", str(f)], "is a file", "give a directory name")


def test_header_flags_need_a_text_input_and_exclude_each_other(tmp_path: Path,
                                                                capsys) -> None:
    import numpy as np

    np.save(tmp_path / "y.npy", np.array([0, 1, 1]))
    np.save(tmp_path / "p.npy", np.array([0.2, 0.7, 0.6]))
    (tmp_path / "d.csv").write_text("y,p\n0,0.2\n1,0.7\n")
    npy = ["evaluate", "--y-true", str(tmp_path / "y.npy"), "--y-pred", str(tmp_path / "p.npy")]
    # --header on .npy inputs was silently ignored, where other inapplicable options are refused
    one_line_error(capsys, [*npy, "--header"], "header (--header/--no-header)", "no input")
    one_line_error(capsys, [*npy, "--no-header"], "applies to .csv/.tsv files")
    # both flags: the last one won
    csv = ["evaluate", "--y-true", f"{tmp_path / 'd.csv'}:y", "--y-pred",
           f"{tmp_path / 'd.csv'}:p"]
    one_line_error(capsys, [*csv, "--header", "--no-header"], "not allowed with")
    assert main([*csv, "--header", "--no-progress", "--format", "json"]) == 0
    assert '"n_samples": 2' in capsys.readouterr().out
