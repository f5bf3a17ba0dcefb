"""The ``nnmath`` command: each subcommand in-process and as a subprocess; the error table.

Expected values are typed in (the seed's known answers, hand counts, registry facts) or
computed here with NumPy; never produced by the code under test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nnmath
from nnmath.cli import main

SRC = Path(nnmath.__file__).resolve().parents[1]


def nnmath_command(*args: str, cwd: Path | None = None,
                   timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the ``nnmath`` command in a fresh interpreter (the one place that says how)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    env["MPLBACKEND"] = "Agg"
    env.pop("NO_COLOR", None)
    return subprocess.run([sys.executable, "-m", "nnmath", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def assert_one_line_error(err: str, *fragments: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("nnmath: error: "), err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


# -- the command line as a whole -----------------------------------------------------------------

def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"nnmath {nnmath.__version__}"
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("tour", "plot", "describe", "evaluate"):
        assert command in out
    assert main(["evaluate", "--help"]) == 0
    assert "--y-true" in capsys.readouterr().out


@pytest.mark.parametrize("argv, fragment", [
    ([], "choose a command"),
    (["tuor"], "invalid choice: 'tuor'"),
    (["evaluate", "--y-true", "a.npy"], "--y-pred"),
    (["evaluate", "--y-true", "a.npy", "--y-pred", "b.npy", "--chunk-size", "0"], ">= 1"),
    (["evaluate", "--y-true", "a", "--y-pred", "b", "--threshold", "nan"], "finite"),
    (["plot"], "needs activation NAMEs"),
    (["plot", "relu", "--all"], "not both"),
    (["describe"], "needs an activation NAME"),
    (["describe", "relu", "--param", "oops"], "KEY=VALUE"),
])
def test_usage_errors_are_one_line_with_status_2(argv: list[str], fragment: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert_one_line_error(captured.err, fragment)


def test_debug_shows_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--debug", "describe", "relu7"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert err.strip().splitlines()[-1].startswith("nnmath: error: unknown activation")


# -- describe ------------------------------------------------------------------------------------

def test_describe_relu_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["describe", "relu"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("relu — ReLU(negative_slope=0.0, max_value=None, threshold=0.0)")
    assert "formula     max(x, 0)" in out
    assert r"LaTeX       \max(x, 0)" in out
    assert "[0, inf)" in out
    assert "kinks       x = 0" in out
    # the values table: x, relu(x), relu'(x) (PyTorch's relu'(0) = 0)
    rows = {float(line.split()[0]): (float(line.split()[1]), float(line.split()[2]))
            for line in out.splitlines()[-7:]}
    assert rows == {-3.0: (0.0, 0.0), -1.0: (0.0, 0.0), -0.5: (0.0, 0.0), 0.0: (0.0, 0.0),
                    0.5: (0.5, 1.0), 1.0: (1.0, 1.0), 3.0: (3.0, 1.0)}


def test_describe_json_with_a_parameter(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["describe", "leaky_relu", "--json", "--param", "negative_slope=0.2"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["name"] == "leaky_relu" and d["class"] == "LeakyReLU"
    assert d["parameters"]["negative_slope"] == {"value": 0.2, "default": 0.01,
                                                 "required": False, "demo": False}
    assert d["kinks"] == [0.0]
    assert d["properties"]["monotonic"] is True and d["properties"]["smooth"] is False
    x = np.array(d["values"]["x"])
    np.testing.assert_allclose(d["values"]["f"], np.where(x > 0, x, 0.2 * x), rtol=1e-15)
    np.testing.assert_allclose(d["values"]["df"], np.where(x > 0, 1.0, 0.2), rtol=1e-15)


def test_describe_softmax_shows_the_slice_and_the_seed_row(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["describe", "softmax", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["along_axis"] is True
    assert d["values"]["of"] == "softmax([x, 0])₀"
    x = np.array(d["values"]["x"])
    np.testing.assert_allclose(d["values"]["f"], 1 / (1 + np.exp(-x)), rtol=1e-14)
    # the seed notebook's printed softmax of [1, 2, 3, 6]
    np.testing.assert_allclose(d["example"]["f"],
                               [0.00626879, 0.01704033, 0.04632042, 0.93037047], atol=5e-9)


def test_describe_threshold_uses_demo_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["describe", "threshold", "--json", "--param", "threshold=2"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["parameters"]["threshold"]["value"] == 2
    assert d["parameters"]["threshold"]["required"] is True
    assert d["parameters"]["threshold"]["demo"] is False  # given on the command line
    assert d["parameters"]["default_value"] == {"value": 0.0, "default": None,
                                                "required": True, "demo": True}


def test_describe_list_has_the_33_and_the_aliases(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["describe", "--list"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 35
    assert sum("alias of" in line for line in lines) == 2


@pytest.mark.parametrize("argv, fragments", [
    (["describe", "relu7"], ("unknown activation 'relu7'", "did you mean", "relu")),
    (["describe", "leaky_relu", "--param", "slope=0.1"],
     ("leaky_relu has no parameter 'slope'", "negative_slope")),
    (["describe", "elu", "--param", "alpha=nan"], ("elu:",)),
    (["plot", "gleu", "--out", "x.png"], ("unknown activation 'gleu'", "gelu")),
])
def test_describe_and_plot_errors(argv: list[str], fragments: tuple[str, ...],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert_one_line_error(capsys.readouterr().err, *fragments)


def test_formula_text_of_the_seed_activations() -> None:
    from nnmath.cli import formula_text

    assert formula_text(r"\sigma(x) = \frac{1}{1 + e^{-x}}") == "σ(x) = 1/(1 + e^(-x))"
    assert formula_text(r"\max(x, 0)") == "max(x, 0)"
    assert formula_text(r"\frac{x}{1 + |x|}") == "x/(1 + |x|)"


# -- plot ----------------------------------------------------------------------------------------

def test_plot_writes_the_file_it_names(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib", reason="matplotlib (the 'plot' extra) draws figures")
    from matplotlib import image

    out = tmp_path / "sub" / "gelu.png"
    assert main(["plot", "gelu", "--out", str(out), "--range", "-3", "3"]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {out} (960×600 px)"
    pixels = image.imread(out)
    assert pixels.shape == (600, 960, 4)
    assert pixels[..., :3].std() > 0.05


def test_plot_svg_and_pdf_by_extension(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="matplotlib (the 'plot' extra) draws figures")
    svg, pdf = tmp_path / "a.svg", tmp_path / "b.pdf"
    assert main(["plot", "relu", "sigmoid", "--out", str(svg), "--no-derivative"]) == 0
    assert main(["plot", "tanh", "--out", str(pdf)]) == 0
    assert svg.read_text()[:200].lstrip().startswith("<?xml")
    assert "<svg" in svg.read_text()
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_plot_unknown_format_and_missing_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plot", "relu", "--out", str(tmp_path / "x.jpg")]) == 2
    assert_one_line_error(capsys.readouterr().err, "unknown figure format '.jpg'")
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    assert main(["plot", "relu", "--out", str(tmp_path / "x.png")]) == 2
    assert_one_line_error(capsys.readouterr().err, "pip install 'nnmath[plot]'")
    assert main(["tour", "--out", str(tmp_path / "t")]) == 2
    assert_one_line_error(capsys.readouterr().err, "pip install 'nnmath[plot]'",
                          "--no-figures")
    assert not (tmp_path / "x.png").exists()


def test_plot_all_writes_one_file_per_activation_and_a_gallery(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="matplotlib (the 'plot' extra) draws figures")
    out = tmp_path / "all"
    assert main(["plot", "--all", "--out", str(out), "--format", "svg"]) == 0
    names = sorted(p.stem for p in out.iterdir())
    assert len(names) == 34  # the 33 activations (no aliases) and the gallery
    assert "gallery" in names and "swish" not in names and "threshold" in names


def test_plot_default_file_is_named_after_the_activations(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Without --out the file is NAME.png, or the names joined by '_' (the help says so);
    --format picks the extension of that default."""
    pytest.importorskip("matplotlib", reason="matplotlib (the 'plot' extra) draws figures")
    monkeypatch.chdir(tmp_path)
    assert main(["plot", "relu", "gelu"]) == 0
    assert capsys.readouterr().out.startswith("wrote relu_gelu.png (")
    assert main(["plot", "selu", "--format", "svg"]) == 0
    assert capsys.readouterr().out == "wrote selu.svg (6.4×4 in)\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["relu_gelu.png", "selu.svg"]
    assert main(["plot", "--help"]) == 0
    assert "relu_gelu.png" in " ".join(capsys.readouterr().out.split())


def test_plot_format_and_out_must_agree(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.png"
    assert main(["plot", "relu", "--format", "pdf", "--out", str(out)]) == 2
    assert_one_line_error(capsys.readouterr().err, "--format pdf", str(out), ".pdf")
    assert not out.exists()


def test_every_option_has_help_text(capsys: pytest.CaptureFixture[str]) -> None:
    """--help describes every option of every command (--format and --no-progress had none)."""
    import argparse

    from nnmath.cli import build_parser

    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    missing = [f"{name} {'/'.join(action.option_strings) or action.dest}"
               for name, command in sub.choices.items() for action in command._actions
               if not (action.help or "").strip()]
    assert missing == []
    assert main(["evaluate", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--no-progress never show the progress bar" in text
    assert "--format {table,json} table (default) or one JSON object" in text


# -- evaluate (details in test_evaluate.py) ---------------------------------------------

@pytest.fixture
def seed_files(tmp_path: Path) -> Path:
    """The seed notebook's 4-class example as .npy files, and broken variants."""
    y = np.array([1, 0, 2])
    p = np.array([[0.4, 0.6, 0.0, 0.0], [0.3, 0.2, 0.1, 0.4], [0.05, 0.35, 0.5, 0.1]])
    np.save(tmp_path / "y.npy", y)
    np.save(tmp_path / "p.npy", p)
    return tmp_path


def test_evaluate_table_in_process(seed_files: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["evaluate", "--y-true", str(seed_files / "y.npy"), "--y-pred",
            str(seed_files / "p.npy"), "--top-k", "2"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    assert lines["task"][0] == "multiclass"
    assert lines["accuracy"][:2] == ["0.6667", "sparse_categorical_accuracy"]
    assert lines["top_2_accuracy"][0] == "1.0000"  # the misses' labels are second best
    # per-class counts: support, predicted, correct (hand counts)
    assert lines["0"][:3] == ["1", "0", "0"]
    assert lines["3"][:3] == ["0", "1", "0"]


def test_evaluate_json_in_process(seed_files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["evaluate", "--y-true", str(seed_files / "y.npy"), "--y-pred",
            str(seed_files / "p.npy"), "--format", "json", "--top-k", "3"]
    assert main(argv) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["task"] == "multiclass" and d["n_samples"] == 3
    assert d["metrics"]["accuracy"] == pytest.approx(2 / 3, rel=1e-15)
    expected_ce = -np.mean(np.log([0.6, 0.3, 0.5]))
    assert d["metrics"]["crossentropy"] == pytest.approx(expected_ce, rel=1e-12)
    assert d["metrics"]["top_3_accuracy"] == 1.0
    assert d["metrics"]["balanced_accuracy"] == pytest.approx(2 / 3, rel=1e-15)


def _bad_inputs(d: Path) -> dict[str, tuple[list[str], tuple[str, ...]]]:
    """The error table of the issue: arguments → fragments of the one-line message."""
    y = np.array([0, 1, 2, 1, 0, 2, 1, 0, 2, 1])
    p = np.full((10, 3), 1 / 3)
    np.save(d / "y.npy", y)
    np.save(d / "p.npy", p)
    np.save(d / "y9.npy", y[:9])
    np.save(d / "y_out.npy", np.where(np.arange(10) == 4, 3, y))
    p_nan = p.copy()
    p_nan[6, 1] = np.nan
    np.save(d / "p_nan.npy", p_nan)
    np.save(d / "logits.npy", p * 9 - 5)
    np.save(d / "objects.npy", np.array([0.1, None, "x"], dtype=object), allow_pickle=True)
    import pickle

    (d / "pickled.npy").write_bytes(pickle.dumps(p))
    (d / "data.pkl").write_bytes(pickle.dumps(p))
    whole = (d / "p.npy").read_bytes()
    (d / "truncated.npy").write_bytes(whole[: len(whole) // 2])
    (d / "garbage.npz").write_bytes(b"not a zip file at all")
    np.savez(d / "both.npz", y=y, p=p)
    rows = ["0.2,0.3,0.5"] * 10
    rows[4] = "0.2,oops,0.5"
    (d / "p.csv").write_text("a,b,c\n" + "\n".join(rows) + "\n")
    np.save(d / "w_neg.npy", np.where(np.arange(10) == 2, -1.0, 1.0))
    (d / "p.txt").write_text("1 2 3")
    y_, p_ = str(d / "y.npy"), str(d / "p.npy")
    ev = ["evaluate", "--y-true"]
    return {
        "missing file": ([*ev, y_, "--y-pred", str(d / "nope.npy")],
                         ("nope.npy", "no such file")),
        "corrupt npy": ([*ev, y_, "--y-pred", str(d / "truncated.npy")],
                        ("truncated.npy", "it is truncated", "re-save")),
        "corrupt npz": ([*ev, y_, "--y-pred", str(d / "garbage.npz")],
                        ("not a valid .npz archive",)),
        "pickle in .npy": ([*ev, y_, "--y-pred", str(d / "pickled.npy")],
                           ("is a Python pickle", "never unpickles")),
        "pickle file": ([*ev, y_, "--y-pred", str(d / "data.pkl")], ("never loaded",)),
        "object dtype": ([*ev, y_, "--y-pred", str(d / "objects.npy")],
                         ("Python objects", "save a numeric array")),
        "lengths differ": ([*ev, str(d / "y9.npy"), "--y-pred", p_],
                           ("has 9 rows but", "has 10", "one row per sample")),
        "label out of range": ([*ev, str(d / "y_out.npy"), "--y-pred", p_],
                               ("label 3 at row 4", "outside the 3 classes")),
        "NaN prediction": ([*ev, y_, "--y-pred", str(d / "p_nan.npy")],
                           ("holds NaN at row 6", "drop those rows")),
        "logits as probabilities": ([*ev, y_, "--y-pred", str(d / "logits.npy")],
                                    ("outside [0, 1]", "--from-logits")),
        "npz without a key": ([*ev, str(d / "both.npz"), "--y-pred", p_],
                              ("holds 2 arrays", ":KEY")),
        "npz unknown key": ([*ev, str(d / "both.npz") + ":labels", "--y-pred", p_],
                            ("has no array 'labels'", "p, y")),
        "csv not a number": ([*ev, y_, "--y-pred", str(d / "p.csv")],
                             ("line 6, column 1", "'oops' is not a number")),
        "negative weight": ([*ev, y_, "--y-pred", p_, "--sample-weight", str(d / "w_neg.npy")],
                            ("-1 at row 2", "finite and >= 0")),
        "unknown format": ([*ev, y_, "--y-pred", str(d / "p.txt")],
                           ("unknown file type '.txt'",)),
        "unknown activation": (["describe", "sigmod"], ("unknown activation 'sigmod'",
                                                        "sigmoid")),
    }


BAD_IDS = ["missing file", "corrupt npy", "corrupt npz", "pickle in .npy", "pickle file",
           "object dtype", "lengths differ", "label out of range", "NaN prediction",
           "logits as probabilities", "npz without a key", "npz unknown key",
           "csv not a number", "negative weight", "unknown format", "unknown activation"]


@pytest.mark.parametrize("case", BAD_IDS)
def test_bad_input_table(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv, fragments = _bad_inputs(tmp_path)[case]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert_one_line_error(captured.err, *fragments)


def test_missing_io_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    np.save(tmp_path / "y.npy", np.array([0, 1]))
    (tmp_path / "p.parquet").write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    argv = ["evaluate", "--y-true", str(tmp_path / "y.npy"), "--y-pred",
            str(tmp_path / "p.parquet") + ":p"]
    assert main(argv) == 2
    assert_one_line_error(capsys.readouterr().err, "Parquet", "pip install 'nnmath[io]'")


# -- as a subprocess ------------------------------------------------------------------------------

def test_subprocess_describe_and_evaluate(seed_files: Path) -> None:
    r = nnmath_command("describe", "sigmoid", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["range"] == "(0, 1)"
    assert d["values"]["f"][3] == 0.5  # sigmoid(0)
    r = nnmath_command("evaluate", "--y-true", str(seed_files / "y.npy"), "--y-pred",
                       str(seed_files / "p.npy"), "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["metrics"]["accuracy"] == pytest.approx(2 / 3, rel=1e-15)
    assert r.stderr == ""  # no progress bar when stderr is not a terminal


def test_subprocess_error_is_one_line_without_traceback(tmp_path: Path) -> None:
    r = nnmath_command("evaluate", "--y-true", str(tmp_path / "a.npy"), "--y-pred",
                       str(tmp_path / "b.npy"))
    assert r.returncode == 2
    assert r.stdout == ""
    assert_one_line_error(r.stderr, "a.npy: no such file")


def test_subprocess_plot(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="matplotlib (the 'plot' extra) draws figures")
    from matplotlib import image

    r = nnmath_command("plot", "relu", "leaky_relu", "elu", "--out", "three.png",
                       cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    pixels = image.imread(tmp_path / "three.png")
    assert pixels.shape == (450, 1890, 4)  # 3 panels of 4.2 × 3 in at 150 dpi
    assert pixels[..., :3].std() > 0.05


# -- evaluate: options refused, never ignored or misread -------------------------------------

@pytest.mark.parametrize("extra, fragments", [
    (["--threshold", "0_5"], ("argument --threshold: expected a number, got '0_5'",)),
    (["--threshold", "2"], ("threshold (--threshold)", "(0, 1), got 2.0")),
    (["--threshold", "-1"], ("(0, 1), got -1.0",)),
    (["--threshold", "NaN"], ("expected a finite number",)),
    (["--top-k", "1_0"], ("argument --top-k: expected a whole number, got '1_0'",)),
    (["--chunk-size", "1_000"], ("argument --chunk-size: expected a whole number",)),
    (["--top-k", "2"], ("top_k (--top-k) applies to a multiclass task", "binary")),
])
def test_evaluate_options_refused_on_a_binary_task(tmp_path: Path, extra: list[str],
                                                   fragments: tuple[str, ...],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    np.save(tmp_path / "y.npy", np.array([0, 1, 1]))
    np.save(tmp_path / "p.npy", np.array([0.2, 0.7, 0.4]))
    argv = ["evaluate", "--y-true", str(tmp_path / "y.npy"), "--y-pred",
            str(tmp_path / "p.npy"), *extra]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert_one_line_error(captured.err, *fragments)


def test_evaluate_threshold_on_a_multiclass_task_is_refused(seed_files: Path,
                                                            capsys: pytest.CaptureFixture[str]
                                                            ) -> None:
    argv = ["evaluate", "--y-true", str(seed_files / "y.npy"), "--y-pred",
            str(seed_files / "p.npy"), "--threshold", "0.3"]
    assert main(argv) == 2
    assert_one_line_error(capsys.readouterr().err, "threshold (--threshold) applies to binary "
                          "and multi-label tasks", "--task multilabel")


def test_evaluate_csv_header_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Files as pandas writes them (to_csv(index=False)): the header line '0'."""
    (tmp_path / "y.csv").write_text("0\n1\n0\n1\n")
    (tmp_path / "p.csv").write_text("0\n0.9\n0.2\n0.4\n")
    argv = ["evaluate", "--y-true", str(tmp_path / "y.csv"), "--y-pred",
            str(tmp_path / "p.csv"), "--format", "json"]
    assert main(argv) == 2
    assert_one_line_error(capsys.readouterr().err, "y.csv: its first line '0' may be a header",
                          "--header or --no-header")
    assert main([*argv, "--header"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["n_samples"] == 3 and d["metrics"]["accuracy"] == 2 / 3  # 0.9 > .5, .2 < .5
    assert main([*argv, "--no-header"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["n_samples"] == 4 and d["metrics"]["accuracy"] == 3 / 4  # and 0 <= .5 for 0


def test_evaluate_reports_probabilities_that_do_not_sum_to_1(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    np.save(tmp_path / "y.npy", np.array([0, 1, 2, 1]))
    np.save(tmp_path / "p.npy", np.array([[0.9, 0.8, 0.1], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8],
                                          [0.5, 0.6, 0.3]]))  # rows 0 and 3: sums 1.8, 1.4
    argv = ["evaluate", "--y-true", str(tmp_path / "y.npy"), "--y-pred",
            str(tmp_path / "p.npy")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "note: y_pred " in out and "2 of 4 rows of probabilities do not sum to 1 (by up " \
        "to 0.8; tolerance 0.001)" in out
    assert main([*argv, "--format", "json"]) == 0
    checks = json.loads(capsys.readouterr().out)["checks"]
    assert checks["y_pred_rows_not_summing_to_1"] == 2
    assert checks["y_pred_max_sum_error"] == pytest.approx(0.8, abs=1e-12)
