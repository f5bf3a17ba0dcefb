"""The report as one self-contained HTML page: tables, and the figures inline as SVG.

No script, no stylesheet, font or image from elsewhere: the page views offline, as a file
or in a notebook (:meth:`Report._repr_html_` gives the same content, its style scoped to
the report's ``div``). Every text that comes from the inputs (file names, notes) is
escaped.
"""

from __future__ import annotations

import importlib.util
import io
import math
import re
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._report import Report

#: metrics whose row says how they were computed (``settings[name]``); as the text table
_EXPLAINED = ("roc_auc", "pr_auc", "ece", "brier_score")

#: the confusion matrix is a table up to this many classes (the figure shows any number)
TABLE_CLASSES = 20

STYLE = """
.nnmath-report { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1a1a1a; max-width: 1100px; margin: 0 auto; padding: 8px 16px; line-height: 1.4; }
.nnmath-report h1 { font-size: 1.5em; margin: 0.4em 0; }
.nnmath-report h2 { font-size: 1.2em; margin: 1.2em 0 0.4em; border-bottom: 1px solid #ddd; }
.nnmath-report table { border-collapse: collapse; margin: 0.4em 0; font-size: 0.92em; }
.nnmath-report th, .nnmath-report td { padding: 3px 10px; border-bottom: 1px solid #e4e4e4;
  text-align: right; }
.nnmath-report th { background: #f3f5f8; }
.nnmath-report td.name, .nnmath-report th.name { text-align: left; }
.nnmath-report td.text { text-align: left; color: #555; }
.nnmath-report tfoot td { font-weight: 600; }
.nnmath-report tfoot tr:first-child td { border-top: 2px solid #bbb; }
.nnmath-report code { font-size: 0.95em; background: #f3f5f8; padding: 0 3px; }
.nnmath-report .figures { display: flex; flex-wrap: wrap; gap: 16px; }
.nnmath-report figure { margin: 0; }
.nnmath-report figure svg { max-width: 100%; height: auto; }
.nnmath-report figcaption { font-size: 0.9em; color: #555; }
.nnmath-report .muted { color: #666; }
"""


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _num(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    return f"{v:.4f}" if abs(v) < 1e4 else f"{v:.4g}"


def _count(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        v = float(v)
    if isinstance(v, int):
        return f"{v:,}"
    return f"{v:,.3f}" if math.isfinite(v) else str(v)


def _table(head: list[str], rows: list[list[str]], foot: list[list[str]] | None = None,
           name_cols: int = 1, cls: str = "", text_cols: tuple[int, ...] = ()) -> str:
    """A table of already escaped cells; the first ``name_cols`` columns are left-aligned
    names, the ``text_cols`` left-aligned remarks, the others numbers."""
    def cells(row: list[str], tag: str) -> str:
        kinds = ['name' if k < name_cols else 'text' if k in text_cols else ''
                 for k in range(len(row))]
        return "".join(f'<{tag} class="{kind}">{c}</{tag}>' if kind else f"<{tag}>{c}</{tag}>"
                       for kind, c in zip(kinds, row, strict=True))

    out = [f'<table class="{cls}">' if cls else "<table>",
           "<thead><tr>" + cells(head, "th") + "</tr></thead>", "<tbody>"]
    out += ["<tr>" + cells(r, "td") + "</tr>" for r in rows]
    out.append("</tbody>")
    if foot:
        out += ["<tfoot>"] + ["<tr>" + cells(r, "td") + "</tr>" for r in foot] + ["</tfoot>"]
    out.append("</table>")
    return "\n".join(out)


def _header(r: Report) -> str:
    word = "labels" if r.task == "multilabel" else "classes"
    parts = [f"<h1>Evaluation report: {_e(r.task)}</h1>",
             f"<p><b>{_e(r.task)}</b> task, {r.n_classes} {word}, {r.n_samples:,} samples"
             f'<span class="muted"> (evaluated in {r.seconds:.3g} s)</span></p>']
    rows = []
    for item in r.inputs:
        shape = "×".join(str(n) for n in item.get("shape", ()))
        rows.append([_e(item.get("role", "")), f"<code>{_e(item.get('spec', ''))}</code>",
                     _e(shape), _e(item.get("dtype", "")),
                     f'<span class="muted">{_e(item.get("read", ""))}</span>'])
    if rows:
        parts.append(_table(["input", "file", "shape", "dtype", "read"], rows, name_cols=5,
                            cls="inputs"))
    s = r.settings
    if s.get("engine") == "dask":
        parts.append(f"<p>Engine: Dask, {_e(s.get('partitions'))} partitions on "
                     f"<code>{_e(s.get('scheduler'))}</code></p>")
    return "\n".join(parts)


def _metrics(r: Report) -> str:
    s = r.settings
    rows = []
    for name, value in r.metrics.items():
        detail = ""
        if name == "accuracy":
            detail = str(s.get("accuracy", ""))
        elif name == "crossentropy":
            detail = str(s.get("crossentropy", "")) + (", from logits"
                                                       if s.get("from_logits") else "")
        elif name in _EXPLAINED and isinstance(s.get(name), str):
            detail = s[name]
        rows.append([_e(name), _num(value), _e(detail)])
    return "<h2>Metrics</h2>\n" + _table(["metric", "value", ""], rows, cls="metrics",
                                          text_cols=(2,))


def _per_class(r: Report) -> str:
    pc = r.per_class
    if pc is None:
        return ""
    word = r.class_word
    words = "labels" if word == "label" else "classes"
    cols = ("support", "predicted", "correct", "precision", "recall", "f1",
            *(c for c in ("roc_auc", "pr_auc") if c in pc))
    rows = [[str(i)] + [_count(pc[c][i]) for c in cols[:3]]
            + [_num(pc[c][i]) for c in cols[3:]] for i in range(len(pc["support"]))]
    foot = [[f"{_e(name)} avg", _count(avg["support"]), "", ""]
            + [_num(avg[c]) if c in avg else "" for c in cols[3:]]
            for name, avg in (r.averages or {}).items()]
    zero = r.settings.get("zero_division")
    note = ("" if zero is None else
            f'<p class="muted">Exact ratios of the exact counts, rounded once; a ratio '
            f"0/0 (no samples, or no predictions, of a {word}) is {_e(zero)}, as "
            "scikit-learn's <code>classification_report</code> by default. Micro averages "
            f"pool the counts, macro ones are the mean over the {words}, weighted ones "
            f"weigh each {word} by its support.</p>")
    return (f"<h2>Per {word}</h2>\n"
            + _table([word, *cols], rows, foot, cls="per-class") + "\n" + note)


def _confusion(r: Report) -> str:
    cm = r.confusion
    if cm is None:
        return ""
    n = len(cm)
    out = ["<h2>Confusion matrix</h2>"]
    if n > TABLE_CLASSES:
        out.append(f"<p>{n} classes: more than the {TABLE_CLASSES} a table shows; the "
                   "figure below has them all, and the JSON report the numbers.</p>")
        return "\n".join(out)
    top = max((float(v) for row in cm for v in row), default=0.0) or 1.0
    head = '<tr><th class="name">true \\ predicted</th>' + "".join(
        f"<th>{j}</th>" for j in range(n)) + "</tr>"
    body = []
    for i, row in enumerate(cm):
        cells = []
        for v in row:
            level = float(v) / top
            # a blue scale: dark cells get white text
            bg = f"rgba(8, 81, 156, {0.08 + 0.8 * level:.3f})" if v else "transparent"
            fg = "#fff" if level > 0.55 else "#1a1a1a"
            cells.append(f'<td style="background:{bg};color:{fg}">{_count(v)}</td>')
        body.append(f'<tr><td class="name">{i}</td>' + "".join(cells) + "</tr>")
    out.append('<table class="confusion"><thead>' + head + "</thead><tbody>\n"
               + "\n".join(body) + "\n</tbody></table>")
    out.append('<p class="muted">Rows: the true class; columns: the predicted class.</p>')
    return "\n".join(out)


def figure_svg(fig: Any, key: str) -> str:
    """A matplotlib figure as an inline ``<svg>`` element: text drawn as paths (no font
    needed), no timestamp, its ids prefixed with ``key`` so that several figures live in
    one page."""
    import matplotlib

    from ..plotting._curves import _style

    buf = io.StringIO()
    with _style(), matplotlib.rc_context({"svg.fonttype": "path",
                                          "svg.hashsalt": f"nnmath-{key}"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<!--.*?-->|<metadata>.*?</metadata>", "", text, flags=re.S)
    text = text.replace(' id="', f' id="{key}-').replace("url(#", f"url(#{key}-")
    return text.replace('href="#', f'href="#{key}-').strip()


_CAPTIONS = {"confusion_matrix": "Confusion matrix (rows: true class)",
             "roc_curve": "ROC curve", "pr_curve": "Precision-recall curve",
             "reliability_diagram": "Reliability diagram"}


def _figures(r: Report, figures: bool) -> str:
    if not figures:
        return ""
    if importlib.util.find_spec("matplotlib") is None:
        return ("<h2>Figures</h2>\n<p>The figures need matplotlib: <code>pip install "
                "'nnmath[plot]'</code>.</p>")
    figs = r.figures()
    if not figs:
        return ""
    out = ['<h2>Figures</h2>\n<div class="figures">']
    for name, fig in figs.items():
        caption = _CAPTIONS.get(name, name)
        out.append(f'<figure id="figure-{_e(name)}">{figure_svg(fig, name)}'
                   f"<figcaption>{_e(caption)}</figcaption></figure>")
    out.append("</div>")
    return "\n".join(out)


def _notes(r: Report) -> str:
    if not r.notes:
        return ""
    return ("<h2>Notes</h2>\n<ul>" + "".join(f"<li>{_e(n)}</li>" for n in r.notes)
            + "</ul>")


def fragment(r: Report, *, figures: bool = True) -> str:
    """The report as a ``<div>`` with its own scoped style (what a notebook shows)."""
    from .. import __version__

    parts = [f"<style>{STYLE}</style>", _header(r), _metrics(r), _per_class(r),
             _confusion(r), _figures(r, figures), _notes(r),
             f'<p class="muted">nnmath {_e(__version__)}</p>']
    return '<div class="nnmath-report">\n' + "\n".join(p for p in parts if p) + "\n</div>"


def page(r: Report, *, figures: bool = True) -> str:
    """The report as a whole HTML document."""
    title = f"nnmath evaluation: {r.task}, {r.n_samples:,} samples"
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{_e(title)}</title>\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            "</head>\n<body>\n" + fragment(r, figures=figures) + "\n</body>\n</html>\n")
