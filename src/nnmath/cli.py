"""The ``nnmath`` command: ``tour``, ``plot``, ``describe``, ``evaluate``.

::

    nnmath tour [--out DIR]                 the seed notebook, corrected, with figures
    nnmath plot NAME... [--out FILE]        activations with their derivatives
    nnmath plot --all --out DIR             every activation, and a gallery
    nnmath describe NAME [--json]           formula, parameters, properties, values
    nnmath evaluate --y-true F --y-pred F   metrics and losses of prediction files

Every failure prints one line, ``nnmath: error: ...``, saying what was wrong and what to
do, and exits with status 2; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import inspect
import json
import os
import re
import sys
import textwrap
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from . import __version__
from . import activations as A
from .io import DataError, MissingExtraError

__all__ = ["build_parser", "describe_activation", "formula_text", "main"]

PROG = "nnmath"


_SYMBOLS = {
    "sigma": "σ", "alpha": "α", "beta": "β", "lambda": "λ", "theta": "θ", "Phi": "Φ",
    "phi": "φ", "Delta": "Δ", "tau": "τ", "otimes": "⊗", "sim": "∼", "in": "∈", "le": "≤",
    "leq": "≤", "ge": "≥", "geq": "≥", "approx": "≈", "sum": "Σ", "lVert": "‖",
    "rVert": "‖", "cdot": "·", "max": "max", "min": "min", "log": "log", "tanh": "tanh",
    "exp": "exp", "arg": "arg", "quad": "  ", "left": "", "right": "",
}


def _group(text: str, i: int) -> tuple[str, int]:
    """The balanced ``{...}`` group starting at ``text[i]`` (or one character)."""
    if i < len(text) and text[i] == "{":
        depth = 0
        for j in range(i, len(text)):
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            if depth == 0:
                return text[i + 1:j], j + 1
    return text[i:i + 1], i + 1


def _atom(text: str) -> str:
    """``text`` in parentheses unless it is one term (no space or operator outside parens)."""
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and ch in " +-/*=,;":
            return f"({text})"
    return text


def _spaced(out: list[str], word: str, text: str, nxt: int) -> None:
    """Append ``word``, with a space when a letter, backslash or bracket follows."""
    follow = text[nxt:nxt + 1]
    out.append(word + (" " if follow and (follow.isalnum() or follow in "\\(") else ""))


def formula_text(latex: str) -> str:
    r"""A LaTeX formula as plain Unicode text for the terminal.

    >>> formula_text(r"\sigma(x) = \frac{1}{1 + e^{-x}}")
    'σ(x) = 1/(1 + e^(-x))'
    >>> formula_text(r"\begin{cases} x & x > 0 \\ \alpha x & x \le 0 \end{cases}")
    'x if x > 0; α x if x ≤ 0'
    """
    out: list[str] = []
    i, text = 0, latex.strip().replace(r"\arg\min", r"\operatorname{argmin}")
    while i < len(text):
        ch = text[i]
        if text.startswith(r"\begin{cases}", i):
            end = text.index(r"\end{cases}", i)
            rows = [r for r in text[i + len(r"\begin{cases}"):end].split("\\\\") if r.strip()]
            cases = []
            for row in rows:
                value, _, cond = row.partition("&")
                cases.append(f"{formula_text(value)} if {formula_text(cond)}")
            body = "; ".join(cases)
            out.append(f"({body})" if "".join(out).strip() else body)
            i = end + len(r"\end{cases}")
        elif ch == "\\":
            j = i + 1
            while j < len(text) and text[j].isalpha():
                j += 1
            cmd = text[i + 1:j]
            if not cmd:  # \, \; \  \! and escaped characters
                nxt = text[j:j + 1]
                out.append(" " if nxt in ",; " else "" if nxt == "!" else nxt)
                i = j + 1
            elif cmd == "frac":
                num, k = _group(text, j)
                den, k = _group(text, k)
                frac = f"{_atom(formula_text(num))}/{_atom(formula_text(den))}"
                _spaced(out, frac, text, k)
                i = k
            elif cmd == "sqrt":
                arg, k = _group(text, j)
                out.append(f"√{_atom(formula_text(arg))}")
                i = k
            elif cmd in ("operatorname", "mathrm", "text"):
                arg, k = _group(text, j)
                out.append(arg)
                i = k
            elif cmd in ("log", "tanh", "exp", "max", "min", "arg", "sum"):
                word = _SYMBOLS[cmd]
                if text[j:j + 1] in ("_", "^", "("):
                    out.append(word)
                else:
                    _spaced(out, word, text, j)
                i = j
            else:
                out.append(_SYMBOLS.get(cmd, cmd))
                i = j
        elif ch in "^_":
            arg, k = _group(text, i + 1)
            inner = formula_text(arg)
            out.append(ch + (inner if len(inner) <= 1 or inner.isalnum() else f"({inner})"))
            i = k
        elif ch in "{}":
            i += 1
        else:
            out.append(ch)
            i += 1
    return " ".join("".join(out).split())


_VALUE_POINTS = (-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0)
_EXAMPLE_VECTOR = (1.0, 2.0, 3.0, 6.0)  # the seed's softmax example row


class UsageError(Exception):
    """A command line that cannot be parsed."""


class CommandError(Exception):
    """A command that could not be done, for a reason its message gives (a lost cluster)."""


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # argparse reads "-1e3" as an option (its pattern knows only -1 and -1.5): every
        # negative number is a value here (--range -1e3 1e3, --threshold), no option is one
        self._negative_number_matcher = re.compile(
            r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-(inf|infinity|nan)$", re.IGNORECASE)

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


# -- describe -------------------------------------------------------------------------------

def _unknown_activation(name: str) -> DataError:
    close = difflib.get_close_matches(name.lower(), A.names(), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return DataError(f"unknown activation {name!r}{hint} ('nnmath describe --list' lists "
                     "all of them)")


def _norm(name: str) -> str:
    return name.strip().lower().replace("_", "").replace("-", "").replace(" ", "")


def _activation_class(name: str) -> type[A.Activation]:
    """The class of a registry name, a class name or PyTorch's spelling; else a DataError."""
    for key, cls in A.REGISTRY.items():
        if _norm(name) in (_norm(key), _norm(cls.__name__)):
            return cls
    raise _unknown_activation(name)


def _activation(name: str, params: dict[str, Any]) -> A.Activation:
    """The activation for a command line name and ``--param`` values, with clear errors.

    ``threshold`` (whose parameters have no defaults) gets demo values for those not given.
    """
    from .plotting import DEMO_PARAMS

    cls = _activation_class(name)
    allowed = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    for key in params:
        if key not in allowed:
            has = f"its parameters are {', '.join(allowed)}" if allowed else "it has none"
            raise DataError(f"{cls.name} has no parameter {key!r}; {has}")
    merged = {**DEMO_PARAMS.get(cls.name, {}), **params}
    try:
        return cls(**merged)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{cls.name}: {exc}") from None


def _parse_params(items: Sequence[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or ():
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param takes KEY=VALUE, got {item!r}")
        text = text.strip()
        lowered = {"true": True, "false": False, "none": None, "null": None}
        if text.lower() in lowered:
            value: Any = lowered[text.lower()]
        else:
            try:
                value = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                value = text
        out[key.strip()] = value
    return out


def _summary(cls: type) -> str:
    doc = inspect.getdoc(cls) or ""
    first = doc.split("\n\n")[0].replace("\n", " ").replace("``", "")
    return " ".join(first.split())


def _num(v: float) -> Any:
    v = float(v)
    if v != v:
        return "nan"
    if v in (float("inf"), float("-inf")):
        return "inf" if v > 0 else "-inf"
    return v


def describe_activation(name: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything ``nnmath describe`` shows about an activation, as a JSON-able dict.

    >>> d = describe_activation("relu")
    >>> d["class"], d["range"], d["values"]["f"][-1]
    ('ReLU', '[0, inf)', 3.0)
    """
    from .plotting import slice_label, values_and_derivative

    given = dict(params or {})
    act = _activation(name, given)
    cls = type(act)
    props = act.properties
    try:
        defaults = {k: v.default for k, v in inspect.signature(cls.__init__).parameters.items()
                    if k != "self"}
    except (TypeError, ValueError):  # pragma: no cover - every class has a signature
        defaults = {}
    parameters = {
        k: {"value": v, "default": (None if defaults.get(k) is inspect.Parameter.empty
                                    else defaults.get(k)),
            "required": defaults.get(k) is inspect.Parameter.empty,
            "demo": defaults.get(k) is inspect.Parameter.empty and k not in given}
        for k, v in act.get_config().items() if not isinstance(v, np.random.Generator)
    }
    xs = sorted(set(_VALUE_POINTS) | {float(k) for k in props.kinks})
    f, df = values_and_derivative(act, np.array(xs))
    aliases = sorted(n for n, c in A.REGISTRY.items() if c is cls and n != act.name)
    out: dict[str, Any] = {
        "name": act.name,
        "class": cls.__name__,
        "aliases": aliases,
        "summary": _summary(cls),
        "formula": act.formula,
        "formula_text": formula_text(act.formula),
        "derivative": act.derivative_text,
        "parameters": parameters,
        "along_axis": isinstance(act, A.AxisActivation),
        "range": props.range_text,
        "properties": props.as_dict(),
        "kinks": list(props.kinks),
        "kink_convention": props.kink_convention,
        "values": {"of": slice_label(act.name), "x": xs, "f": [_num(v) for v in f],
                   "df": [_num(v) for v in df]},
    }
    if isinstance(act, A.AxisActivation):
        vec = np.array(_EXAMPLE_VECTOR)
        out["example"] = {"x": list(_EXAMPLE_VECTOR),
                          "f": [_num(v) for v in np.asarray(act(vec)).ravel()]}
    return out


def _yes(flag: Any) -> str:
    return "n/a" if flag is None else ("yes" if flag else "no")


def _format_description(d: dict[str, Any]) -> str:
    config = ", ".join(f"{k}={v['value']!r}" for k, v in d["parameters"].items())
    lines = [f"{d['name']} — {d['class']}({config})"]
    if d["aliases"]:
        lines[0] += f"   (also: {', '.join(d['aliases'])})"
    lines.append(textwrap.fill(d["summary"], 88, initial_indent="  ", subsequent_indent="  "))
    lines.append("")
    rows: list[tuple[str, str]] = [("formula", d["formula_text"]), ("LaTeX", d["formula"]),
                                   ("derivative", d["derivative"] or "—")]
    if d["parameters"]:
        width = max(len(k) for k in d["parameters"])
        for i, (k, v) in enumerate(d["parameters"].items()):
            default = ("required; a demo value" if v["demo"] else "required"
                       if v["required"] else f"default {v['default']!r}")
            shown = f"{k:<{width}} = {v['value']!r}   ({default})"
            rows.append(("parameters" if i == 0 else "", shown))
    else:
        rows.append(("parameters", "none"))
    p = d["properties"]
    bounded = ("bounded" if p["bounded"] else "bounded below" if p["bounded_below"]
               else "bounded above" if p["bounded_above"] else "unbounded")
    rows.append(("range", f"{d['range']}   ({bounded})"))
    rows.append(("properties", f"monotonic {_yes(p['monotonic'])} · continuous "
                               f"{_yes(p['continuous'])} · C¹ {_yes(p['differentiable'])} · "
                               f"smooth (C∞) {_yes(p['smooth'])} · zero-centred "
                               f"{_yes(p['zero_centred'])}"))
    if d["kinks"]:
        at = ", ".join(f"{k:g}" for k in d["kinks"])
        rows.append(("kinks", f"x = {at}; gradient there: {d['kink_convention']}"))
    elif d["kink_convention"]:
        rows.append(("kinks", d["kink_convention"]))
    else:
        rows.append(("kinks", "none"))
    for key, text in rows:
        lines.append(f"  {key:<12}{text}")
    v = d["values"]
    lines.append("")
    of = v["of"]
    head = "f(x)" if of == "f(x)" else of
    lines.append(f"  values of {head} and its derivative:")
    lines.append(f"  {'x':>8}  {'f':>14}  {'df/dx':>14}")
    for x, f, df in zip(v["x"], v["f"], v["df"], strict=True):
        lines.append(f"  {x:>8g}  {_g(f):>14}  {_g(df):>14}")
    if "example" in d:
        ex = d["example"]
        vec = ", ".join(f"{x:g}" for x in ex["x"])
        out = ", ".join(_g(f) for f in ex["f"])
        lines.append(f"  {d['name']}([{vec}]) = [{out}]")
    return "\n".join(lines)


def _g(v: Any) -> str:
    return v if isinstance(v, str) else f"{v:.8g}"


def _cmd_describe(args: argparse.Namespace) -> int:
    if args.list:
        for name in A.names():
            cls = A.REGISTRY[name]
            alias = f"  (alias of {cls.name})" if cls.name != name else ""
            print(f"{name:<16}{cls.__name__}{alias}")
        return 0
    if not args.name:
        raise UsageError("describe needs an activation NAME (or --list)")
    d = describe_activation(args.name, _parse_params(args.param))
    if args.json:
        print(json.dumps(d, indent=2, ensure_ascii=False, default=str))
    else:
        print(_format_description(d))
    return 0


# -- plot -------------------------------------------------------------------------------------

def _cmd_plot(args: argparse.Namespace) -> int:
    from . import plotting as P
    from .io import require

    params = _parse_params(args.param)
    if args.all:
        if args.names:
            raise UsageError("give activation names or --all, not both")
        if params:
            raise UsageError("--param applies to named activations, not to --all")
        require("matplotlib", "plot", "nnmath plot")
        out = Path(args.out or "nnmath-plots")
        if out.suffix.lower() in P.FIGURE_FORMATS:
            raise UsageError(f"--all writes one file per activation: --out must be a "
                             f"directory, got {out}")
        out.mkdir(parents=True, exist_ok=True)
        ext = "." + (args.format or "png")
        names = P.canonical_names()
        for name in names:
            fig = P.plot_activation(name, x_range=args.range,
                                    derivative=not args.no_derivative)
            P.save(fig, out / f"{name}{ext}", dpi=args.dpi)
        P.save(P.plot_gallery(derivative=not args.no_derivative), out / f"gallery{ext}",
               dpi=args.dpi)
        print(f"wrote {len(names) + 1} figures to {out}{os.sep}: one per activation "
              f"({len(names)}) and gallery{ext}")
        return 0
    if not args.names:
        raise UsageError("plot needs activation NAMEs (or --all --out DIR)")
    acts = [_activation(n, params) for n in args.names]
    # the default file: NAME.png, or the names joined by '_' (relu_gelu.png)
    out = Path(args.out or "_".join(a.name for a in acts) + "." + (args.format or "png"))
    if out.is_dir():
        name = "_".join(a.name for a in acts) + "." + (args.format or "png")
        raise UsageError(f"--out {out} is a directory; give a file name such as "
                         f"{out / name} (or --all to write one file per activation into "
                         "a directory)")
    if out.suffix.lower() not in P.FIGURE_FORMATS:
        raise DataError(f"--out {out}: unknown figure format {out.suffix or '(none)'!r}; end "
                        f"the name in {', '.join(P.FIGURE_FORMATS)}")
    if args.format and out.suffix.lower() != "." + args.format:
        raise UsageError(f"--format {args.format} and --out {out} disagree: the extension "
                         f"of --out decides; end it in .{args.format}, or drop --format")
    require("matplotlib", "plot", "nnmath plot")
    if len(acts) == 1:
        fig = P.plot_activation(acts[0], x_range=args.range, derivative=not args.no_derivative)
    else:
        fig = P.plot_activations(acts, x_range=args.range, derivative=not args.no_derivative)
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True)
    P.save(fig, out, dpi=args.dpi)
    w, h = fig.get_size_inches()
    size = (f"{round(w * args.dpi)}×{round(h * args.dpi)} px" if out.suffix.lower() == ".png"
            else f"{w:g}×{h:g} in")
    print(f"wrote {out} ({size})")
    return 0


# -- evaluate ---------------------------------------------------------------------------------

def _files_arg(values: Sequence[str] | None) -> Any:
    """One spec (a file, a glob) as it is; several (a glob the shell expanded) as a list."""
    if values is None:
        return None
    return values[0] if len(values) == 1 else list(values)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluate import EngineError, evaluate

    if args.engine != "dask":
        given = [flag for flag, v in (("--scheduler", args.scheduler),
                                      ("--workers", args.workers),
                                      ("--partition-rows", args.partition_rows))
                 if v is not None]
        if given:
            raise UsageError(f"{', '.join(given)} go{'es' if len(given) == 1 else ''} with "
                             "--engine dask")
    elif args.scheduler is not None and args.workers is not None:
        raise UsageError("--workers sizes the local cluster that --engine dask starts; "
                         "with --scheduler the cluster is already there (drop --workers)")
    plots = _plots_dir(args.plots) if args.plots is not None else None
    html = _html_file(args.html) if args.html is not None else None
    progress = None if args.progress is None else args.progress
    extra: dict[str, Any] = {}
    if args.engine == "dask":
        extra = {"engine": "dask", "scheduler": args.scheduler, "workers": args.workers,
                 "partition_rows": args.partition_rows}
    try:
        report = evaluate(_files_arg(args.y_true), _files_arg(args.y_pred),
                          _files_arg(args.sample_weight), task=args.task,
                          from_logits=args.from_logits, threshold=args.threshold,
                          top_k=args.top_k, chunk_size=args.chunk_size, header=args.header,
                          progress=progress, auc=args.auc, calibration=args.calibration,
                          **extra)
    except EngineError as exc:
        raise CommandError(str(exc)) from exc
    if args.format == "json":
        print(report.to_json(indent=2))
    else:
        print(report.format_table())
    if plots is not None:
        _write_plots(report, plots)
    if html is not None:
        try:
            html.write_text(report.to_html(), encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"--html {html}: cannot write it: {exc.strerror or exc}") \
                from exc
        print(f"wrote {html}", file=sys.stderr)
    return 0


def _plots_dir(text: str) -> Path:
    """The directory of ``--plots``, created now (before the evaluation) when missing."""
    from .io import require

    out = Path(text)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--plots {out}: is a file; give a directory to write the "
                         "figures into (it is created when missing)")
    require("matplotlib", "plot", "nnmath evaluate --plots")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--plots {out}: cannot create the directory: "
                         f"{exc.strerror or exc}") from exc
    if not os.access(out, os.W_OK):
        raise UsageError(f"--plots {out}: the directory is not writable")
    return out


def _html_file(text: str) -> Path:
    """The file of ``--html``, checked before the evaluation: not a directory, in a
    directory that exists and is writable."""
    out = Path(text)
    if out.is_dir() or text.endswith(("/", os.sep)):
        raise UsageError(f"--html {out}: is a directory; give a file name such as "
                         f"{out / 'report.html'}")
    parent = out.parent
    if not parent.is_dir():
        raise UsageError(f"--html {out}: the directory {parent} does not exist")
    if not os.access(parent, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise UsageError(f"--html {out}: cannot write there (permission denied)")
    return out


def _write_plots(report: Any, out: Path) -> None:
    from . import plotting as P

    figures = report.figures()
    if not figures:
        print(f"--plots {out}: this report has no figures (a multi-label task has no "
              "confusion matrix)", file=sys.stderr)
        return
    written = []
    for name, fig in figures.items():
        for ext in (".png", ".svg"):
            path = out / f"{name}{ext}"
            try:
                P.save(fig, path)
            except OSError as exc:
                raise CommandError(f"--plots {out}: cannot write {path.name}: "
                                   f"{exc.strerror or exc}") from exc
            written.append(path.name)
    print(f"wrote {len(written)} files to {out}{os.sep}: {', '.join(written)}",
          file=sys.stderr)


# -- tour -------------------------------------------------------------------------------------

def _cmd_tour(args: argparse.Namespace) -> int:
    from .tour import run

    color = {"auto": None, "always": True, "never": False}[args.color]
    if args.out is not None and Path(args.out).exists() and not Path(args.out).is_dir():
        raise UsageError(f"--out {args.out} is a file; the tour writes its figures into a "
                         "directory: give a directory name (it is created when missing)")
    run(args.out, figures=not args.no_figures, color=color)
    return 0


# -- the parser -------------------------------------------------------------------------------

# Numbers as people write them: ASCII digits, no digit separators ("0_5" is not 5, as
# Python's int() and float() would read it), no non-ASCII digits.
_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def _positive_int(text: str) -> int:
    if not _INT.fullmatch(text.strip()):
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


#: the finest resolution ``plot`` draws at: a page-sized figure stays below ~100 MB of
#: pixels (matplotlib would try to allocate any size, gigabytes for --dpi 20000)
MAX_DPI = 1200


def _dpi(text: str) -> int:
    value = _positive_int(text)
    if value > MAX_DPI:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_DPI} (print quality is "
                                         f"300-600), got {value}")
    return value


def _finite(text: str) -> float:
    if text.strip().lower().lstrip("+-") in ("nan", "inf", "infinity"):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    if not _FLOAT.fullmatch(text.strip()):
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}")
    value = float(text)
    if value in (float("inf"), float("-inf")):  # 1e999
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the ``nnmath`` command."""
    common = _Parser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the traceback of an error")
    parser = _Parser(prog=PROG, parents=[common],
                     description="The math at the output end of a neural network: "
                                 "activations, losses, metrics.",
                     epilog="Run 'nnmath COMMAND --help' for the options of a command.")
    parser.add_argument("-V", "--version", action="version",
                        version=f"nnmath {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("tour", parents=[common], help="the seed notebook, corrected and "
                       "runnable, with figures",
                       description="Walk through the seed notebook: accuracy, activations, "
                                   "softmax and LogSumExp, cross-entropy; every number "
                                   "computed by nnmath, the notebook's errors corrected.")
    p.add_argument("--out", default="nnmath-tour", metavar="DIR",
                   help="where to write the figures (default: ./nnmath-tour)")
    p.add_argument("--no-figures", action="store_true", help="print only, draw nothing")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour the output (auto: on a terminal, unless NO_COLOR is set)")
    p.set_defaults(func=_cmd_tour)

    p = sub.add_parser("plot", parents=[common], help="plot activations and their "
                       "derivatives",
                       description="Plot activations with their derivatives (dashed), the "
                                   "formula in the title, kinks and asymptotes marked. "
                                   "PNG, SVG or PDF by the extension of --out.")
    p.add_argument("names", nargs="*", metavar="NAME", help="activation names (see "
                   "'nnmath describe --list')")
    p.add_argument("--all", action="store_true", help="every activation, one file each, "
                   "and a gallery, into the directory --out")
    p.add_argument("--out", metavar="FILE|DIR", help="output file, PNG, SVG or PDF by its "
                   "extension (default NAME.png; for several activations their names "
                   "joined by '_', e.g. relu_gelu.png), or the directory for --all (default "
                   "./nnmath-plots)")
    p.add_argument("--format", choices=("png", "svg", "pdf"), default=None,
                   help="file format of the default file name and of --all (default png)")
    p.add_argument("--range", nargs=2, type=_finite, metavar=("LO", "HI"),
                   help="the x range (default: one that shows every kink)")
    p.add_argument("--no-derivative", action="store_true", help="draw f only")
    p.add_argument("--param", action="append", metavar="KEY=VALUE",
                   help="a constructor parameter, e.g. negative_slope=0.2 (repeatable)")
    p.add_argument("--dpi", type=_dpi, default=150, help="resolution of PNG files "
                   f"(default 150, at most {MAX_DPI})")
    p.set_defaults(func=_cmd_plot)

    p = sub.add_parser("describe", parents=[common], help="formula, parameters, properties "
                       "and values of an activation",
                       description="Describe an activation: formula, parameters and "
                                   "defaults, range, derivative, properties, the convention "
                                   "at kinks, values at a few points.")
    p.add_argument("name", nargs="?", metavar="NAME", help="an activation name")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--list", action="store_true", help="list the activation names")
    p.add_argument("--param", action="append", metavar="KEY=VALUE",
                   help="a constructor parameter (repeatable)")
    p.set_defaults(func=_cmd_describe)

    p = sub.add_parser("evaluate", parents=[common], help="metrics and losses of "
                       "predictions against labels, from files of any size",
                       description="Evaluate predictions against labels, streaming the "
                                   "files in chunks, here or on a Dask cluster. FILE is "
                                   ".npy, .npz:KEY, .csv:COLUMN, .tsv:COLUMN or "
                                   ".parquet:COLUMN; a quoted glob ('logits-*.npy'), several "
                                   "files or a directory make one input of many files, "
                                   "paired with the other input's in sorted order.")
    p.add_argument("--y-true", required=True, nargs="+", metavar="FILE",
                   help="labels: integers, one-hot rows, or 0/1")
    p.add_argument("--y-pred", required=True, nargs="+", metavar="FILE",
                   help="probabilities, or logits with --from-logits")
    p.add_argument("--sample-weight", nargs="+", metavar="FILE",
                   help="one weight per sample")
    p.add_argument("--task", choices=("auto", "binary", "multiclass", "multilabel"),
                   default="auto", help="default: from the shapes")
    p.add_argument("--from-logits", action="store_true", help="y_pred holds logits")
    p.add_argument("--threshold", type=_finite, metavar="T",
                   help="probability in (0, 1) above which a binary/multi-label prediction "
                        "is positive (default 0.5; not for multiclass)")
    p.add_argument("--top-k", type=_positive_int, action="append", metavar="K",
                   help="report top-K accuracy (multiclass; repeatable; default 5 when "
                        "there are more than 5 classes)")
    p.add_argument("--auc", choices=("exact", "thresholds", "none"), default="exact",
                   help="ROC AUC and PR AUC: exact (default; past about 4 million distinct "
                        "scores, thresholds, with a note), from 1001 thresholds, or none")
    p.add_argument("--no-calibration", dest="calibration", action="store_false",
                   help="skip the expected calibration error and the Brier score")
    p.add_argument("--format", choices=("table", "json"), default="table",
                   help="table (default) or one JSON object")
    p.add_argument("--plots", metavar="DIR",
                   help="also write the report's figures (the confusion matrix, ROC and PR "
                        "curves, the reliability diagram) into DIR, each as NAME.png and "
                        "NAME.svg (the plot extra)")
    p.add_argument("--html", metavar="FILE",
                   help="also write the report as one self-contained HTML page (tables "
                        "and the figures inline as SVG)")
    p.add_argument("--chunk-size", type=_positive_int, metavar="N",
                   help="rows per chunk (default: about 8 MiB of predictions)")
    head = p.add_mutually_exclusive_group()
    head.add_argument("--header", dest="header", action="store_true", default=None,
                   help=".csv/.tsv files: the first line is a header (default: a header when "
                        "a field is not a number; pandas' default names 0,1,... must be "
                        "declared with --header or --no-header)")
    head.add_argument("--no-header", dest="header", action="store_false",
                   help=".csv/.tsv files: the first line is data")
    p.add_argument("--progress", dest="progress", action="store_true", default=None,
                   help="show a progress bar on stderr (default: on a terminal)")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help="never show the progress bar")
    g = p.add_argument_group("distributed evaluation (the dask extra)")
    g.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="local: this process (default); dask: one task per file (or per "
                        "--partition-rows rows of a large file) on a Dask cluster, merged "
                        "exactly")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="the cluster's scheduler (tcp://HOST:8786), or 'threads'; default: "
                        "start a local cluster of --workers processes and stop it after")
    g.add_argument("--workers", type=_positive_int, metavar="N",
                   help="processes of the local cluster (default: one per CPU core)")
    g.add_argument("--partition-rows", type=_positive_int, metavar="N",
                   help="the most rows of one task (default: 32 chunks)")
    p.set_defaults(func=_cmd_evaluate)
    return parser


# -- main -------------------------------------------------------------------------------------

def _error(message: str) -> int:
    text = " ".join(message.split())  # one line, whatever the message holds
    print(f"{PROG}: error: {text}", file=sys.stderr)
    return 2


#: the longest message shown (a message quoting a file's content could be any length)
_MAX_MESSAGE = 1000


def _one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line, at most ``_MAX_MESSAGE`` characters."""
    text = " ".join((str(exc).strip() or type(exc).__name__).split())
    if len(text) > _MAX_MESSAGE:
        text = text[:_MAX_MESSAGE - 20] + " ... " + text[-15:]
    return text


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``nnmath`` command; returns the exit status (0 ok, 2 error)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    for stream in (sys.stdout, sys.stderr):  # σ, ∇, ×: never an encoding error on output
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and encoding != "utf8":
            reconfigure(errors="replace")
    try:
        args = build_parser().parse_args(args_list)
        if args.command is None:
            raise UsageError("choose a command: tour, plot, describe or evaluate (see "
                             "'nnmath --help')")
        return int(args.func(args))
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        return _error("interrupted")
    except BrokenPipeError:  # the reader went away (nnmath describe relu | head -1)
        try:
            sys.stdout = open(os.devnull, "w")  # no more writes to the pipe
        except OSError:  # pragma: no cover
            pass
        return 0
    except (UsageError, CommandError, DataError, MissingExtraError) as exc:
        if debug:
            traceback.print_exc()
        return _error(_one_line(exc))
    except MemoryError:
        if debug:
            traceback.print_exc()
        return _error("out of memory; for evaluate, give a smaller --chunk-size")
    except (ValueError, TypeError, OSError) as exc:
        if debug:
            traceback.print_exc()
        if isinstance(exc, OSError) and exc.filename is not None:
            return _error(f"{exc.filename}: {exc.strerror or exc}")
        return _error(_one_line(exc))
    except Exception as exc:  # a bug: still one line, and the way to the traceback
        if debug:
            traceback.print_exc()
        return _error(f"internal error ({type(exc).__name__}: {_one_line(exc)}); run again "
                      "with --debug for the traceback and please report it")


if __name__ == "__main__":
    sys.exit(main())
