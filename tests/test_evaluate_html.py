"""The report's figures and HTML page: Report.figures(), Report.to_html(), _repr_html_,
``nnmath evaluate --plots DIR --html FILE``, and the page rendered by headless Chromium.

The Chromium test runs when a ``chromium`` (or ``chromium-browser``, ``google-chrome``)
binary is on the PATH and is skipped with the reason otherwise. Its screenshot stays under
pytest's tmp_path, and is also copied into ``$NNMATH_SCREENSHOT_DIR`` when that is set.
"""

from __future__ import annotations

import html.parser
import math
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from test_cli import assert_one_line_error, nnmath_command

from nnmath.cli import main
from nnmath.evaluate import evaluate

pytest.importorskip("matplotlib", reason="matplotlib (the 'plot' extra) draws the figures")

RNG = np.random.default_rng(7)
N, C = 300, 4
Y = RNG.integers(0, C, N)
_Z = RNG.normal(size=(N, C))
_Z[np.arange(N), Y] += 1.2
P = np.exp(_Z) / np.exp(_Z).sum(axis=1, keepdims=True)
NASTY = 'a<b&c"d'  # a file name that must be escaped


class Page(html.parser.HTMLParser):
    """What the tests look for in a page: tags, tables' cells, and text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[dict[str, str | None]] = []
        self.text: list[str] = []
        self.cells: list[str] = []
        self._in_cell = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.append(dict(attrs))
        if tag in ("td", "th"):
            self._in_cell += 1
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._in_cell -= 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_cell:
            self.cells[-1] += data


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


@pytest.fixture
def files(tmp_path: Path) -> Path:
    d = tmp_path / NASTY
    d.mkdir()
    np.save(d / "y.npy", Y)
    np.save(d / "p.npy", P)
    return d


def test_figures_of_a_report() -> None:
    r = evaluate(Y, P)
    figs = r.figures()
    assert list(figs) == ["confusion_matrix", "roc_curve", "pr_curve", "reliability_diagram"]
    # one one-vs-rest curve per class, drawn from the report's points
    assert r.curves is not None
    lines = figs["roc_curve"].axes[0].lines
    assert len(lines) == C + 1  # and the chance diagonal
    for i in range(C):
        item = r.curves["roc"]["per_class"][i]
        assert lines[i].get_xdata().tolist() == item["fpr"]
        assert lines[i].get_label() == f"class {i} (AUC = {item['auc']:.4f})"
    image = figs["confusion_matrix"].axes[0].images[0].get_array()
    assert image.tolist() == r.confusion
    texts = [t.get_text() for t in figs["confusion_matrix"].axes[0].texts]
    assert texts == [str(v) for row in r.confusion for v in row]  # type: ignore[union-attr]


def test_curves_are_drawn_when_the_report_carries_them() -> None:
    r = evaluate([0, 1, 1, 0], [0.2, 0.9, 0.6, 0.4])
    r.curves = {"roc": {"fpr": [0, 0, 0.5, 1], "tpr": [0, 0.5, 1, 1], "auc": 0.875},
                "pr": {"recall": [1, 0.5, 0], "precision": [0.5, 1, 1], "ap": 0.9},
                "reliability": {"confidence": [0.25, math.nan, 0.75],
                                "accuracy": [0.0, math.nan, 1.0], "mass": [2, 0, 2],
                                "edges": [0, 0.25, 0.75, 1], "ece": 0.25}}
    figs = r.figures()
    assert list(figs) == ["confusion_matrix", "roc_curve", "pr_curve", "reliability_diagram"]
    assert figs["roc_curve"].axes[0].lines[0].get_xydata().tolist() == [
        [0, 0], [0, 0.5], [0.5, 1], [1, 1]]
    assert figs["pr_curve"].axes[0].lines[0].get_ydata().tolist() == [0.5, 1, 1]
    rel = figs["reliability_diagram"].axes
    assert rel[0].lines[0].get_ydata().tolist() == [0, 1]  # the empty bin is not drawn
    assert [(p.get_x(), p.get_width(), p.get_height()) for p in rel[1].patches] == [
        (0, 0.25, 2), (0.25, 0.5, 0), (0.75, 0.25, 2)]
    page = parse(r.to_html())
    assert page.tags.count("svg") == 4
    assert r.to_dict()["curves"]["roc"]["auc"] == 0.875


def test_the_page_is_self_contained_and_escaped(files: Path) -> None:
    r = evaluate(str(files / "y.npy"), str(files / "p.npy"))
    text = r.to_html()
    assert text.startswith("<!DOCTYPE html>")
    page = parse(text)
    # no script, no external resource of any kind
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    links = [(k, v or "") for attrs in page.attrs for k, v in attrs.items()
             if k in ("src", "href", "xlink:href", "action", "data")]
    assert links  # the figure's own references (#ids, its image as data:)
    for key, value in links:
        assert value.startswith(("#", "data:image/png;base64,")), (key, value[:60])
    assert "http://" not in text.replace("http://www.w3.org/", "") and "https://" not in text
    assert "@import" not in text and "url(http" not in text
    # the nasty name shows escaped, never as markup
    assert NASTY not in text and "a&lt;b&amp;c&quot;d" in text
    assert any(NASTY in t for t in page.text)  # and reads right once parsed
    # the tables: metrics, per class with the averages, the confusion matrix
    assert page.tags.count("table") == 4  # inputs, metrics, per class, confusion
    assert r.per_class is not None and r.averages is not None and r.confusion is not None
    cells = page.cells
    assert "macro avg" in cells and "weighted avg" in cells and "micro avg" in cells
    i = cells.index("macro avg")
    assert cells[i + 4:i + 7] == [f"{r.averages['macro'][k]:.4f}"
                                  for k in ("precision", "recall", "f1")]
    flat = [f"{v:,}" for row in r.confusion for v in row]
    j = cells.index("true \\ predicted")
    body = [c for c in cells[j + C + 1:] if c not in {str(k) for k in range(C)}][:C * C]
    assert body == flat
    # the figures inline (confusion matrix, ROC, PR, reliability), their ids made unique
    assert page.tags.count("svg") == 4
    ids = [a["id"] for a in page.attrs if a.get("id")]
    assert len(ids) == len(set(ids))


def test_repr_html_is_the_page_content() -> None:
    r = evaluate(Y, P)
    frag = r._repr_html_()
    assert frag.startswith('<div class="nnmath-report">') and "<html" not in frag
    assert frag in r.to_html()


def test_page_without_figures(files: Path) -> None:
    r = evaluate(Y, P)
    page = parse(r.to_html(figures=False))
    assert "svg" not in page.tags and page.tags.count("table") == 4


def test_page_without_matplotlib_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from nnmath.evaluate import _html

    real = importlib.util.find_spec
    monkeypatch.setattr(_html.importlib.util, "find_spec",
                        lambda name, *a: None if name == "matplotlib" else real(name, *a))
    page = parse(evaluate(Y, P).to_html())
    assert "svg" not in page.tags and page.tags.count("table") == 4
    assert "pip install 'nnmath[plot]'" in "".join(page.text)


def test_many_classes_confusion_matrix_as_figure_only() -> None:
    c = 25
    y = np.arange(100) % c
    r = evaluate(y, np.eye(c)[(y + (np.arange(100) % 3 == 0)) % c])
    page = parse(r.to_html())
    assert page.tags.count("table") == 3  # inputs, metrics, per class
    assert any("25 classes: more than the 20 a table shows" in t for t in page.text)
    assert page.tags.count("svg") == 4
    assert len(r.figures()["roc_curve"].axes[0].lines) == 10 + 1  # the first 10 classes
    assert any("show the first 10 of 25 classes" in n for n in r.notes)
    assert r.figures()["confusion_matrix"].axes[0].images[0].get_array().shape == (c, c)


def test_multilabel_page_has_no_confusion_matrix() -> None:
    y, p = RNG.integers(0, 2, (20, 3)), RNG.random((20, 3))
    r = evaluate(y, p, task="multilabel")
    assert list(r.figures()) == ["roc_curve", "pr_curve", "reliability_diagram"]
    page = parse(r.to_html())
    assert "label" in page.cells and page.tags.count("svg") == 3
    assert "true \\ predicted" not in page.cells
    bare = evaluate(y, p, task="multilabel", auc="none", calibration=False)
    assert bare.figures() == {} and "svg" not in parse(bare.to_html()).tags


def test_cli_plots_and_html(files: Path, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    plots, page = tmp_path / "figs" / "deep", tmp_path / "report.html"
    argv = ["evaluate", "--y-true", str(files / "y.npy"), "--y-pred", str(files / "p.npy"),
            "--plots", str(plots), "--html", str(page)]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "confusion matrix" in out
    assert sorted(p.name for p in plots.iterdir()) == sorted(
        f"{name}.{ext}" for name in ("confusion_matrix", "roc_curve", "pr_curve",
                                     "reliability_diagram") for ext in ("png", "svg"))
    assert (plots / "confusion_matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (plots / "confusion_matrix.svg").read_text().lstrip().startswith("<?xml")
    assert f"wrote {page}" in err and "wrote 8 files to" in err
    assert parse(page.read_text(encoding="utf-8")).tags.count("svg") == 4


def test_cli_plots_of_a_multilabel_task(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    np.save(tmp_path / "y.npy", RNG.integers(0, 2, (30, 3)))
    np.save(tmp_path / "p.npy", RNG.random((30, 3)))
    argv = ["evaluate", "--y-true", str(tmp_path / "y.npy"), "--y-pred",
            str(tmp_path / "p.npy"), "--plots", str(tmp_path / "figs"), "--auc", "none",
            "--no-calibration"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "this report has no figures (a multi-label task has no confusion matrix)" in err
    assert list((tmp_path / "figs").iterdir()) == []


def test_cli_json_stays_json_with_html(files: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    import json

    page = tmp_path / "r.html"
    argv = ["evaluate", "--y-true", str(files / "y.npy"), "--y-pred", str(files / "p.npy"),
            "--format", "json", "--html", str(page)]
    assert main(argv) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["confusion"] == evaluate(Y, P).confusion and page.exists()


def test_cli_bad_paths(files: Path, tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    base = ["evaluate", "--y-true", str(files / "y.npy"), "--y-pred", str(files / "p.npy")]
    cases = [
        (["--plots", str(a_file)], ("--plots", "is a file")),
        (["--plots", str(a_file / "sub")], ("--plots", "cannot create the directory")),
        (["--html", str(tmp_path)], ("--html", "is a directory")),
        (["--html", str(tmp_path / "missing" / "r.html")], ("--html", "does not exist")),
    ]
    for extra, fragments in cases:
        proc = nnmath_command(*base, *extra)
        assert proc.returncode == 2, proc.stderr
        assert proc.stdout == ""  # refused before evaluating
        assert_one_line_error(proc.stderr, *fragments)


# -- headless Chromium ---------------------------------------------------------------------

def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def test_the_page_in_headless_chromium(tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("no chromium binary on the PATH (Debian: apt-get install chromium)")
    d = tmp_path / NASTY
    d.mkdir()
    np.save(d / "y.npy", Y)
    np.save(d / "p.npy", P)
    page = tmp_path / "report.html"
    assert main(["evaluate", "--y-true", str(d / "y.npy"), "--y-pred", str(d / "p.npy"),
                 "--html", str(page)]) == 0
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-extensions", "--disable-dev-shm-usage",
             f"--user-data-dir={tmp_path / 'profile'}"]
    shot = tmp_path / "report.png"
    proc = subprocess.run([*flags, f"--screenshot={shot}", "--window-size=1200,2000",
                           page.as_uri()], capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.exists()
    from matplotlib.image import imread

    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = imread(shot)
    assert pixels.shape[:2] == (2000, 1200)
    colours = np.unique(pixels[::4, ::4, :3].reshape(-1, 3), axis=0)
    assert len(colours) > 20  # text, tables, the blue cells and the figure: not one colour
    keep = os.environ.get("NNMATH_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / "evaluate-report.png")
    proc = subprocess.run([*flags, "--dump-dom", page.as_uri()], capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = parse(proc.stdout)
    assert dom.tags.count("table") == 4 and dom.tags.count("svg") == 4
    assert "macro avg" in dom.cells and "true \\ predicted" in dom.cells
    assert any(NASTY in t for t in dom.text)
