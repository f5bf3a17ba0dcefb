"""Every code block of README.md and docs/*.md runs, and prints what the page shows.

The conventions, one per kind of fenced block:

``python`` with ``>>>`` prompts
    A doctest: each example's output is checked (NORMALIZE_WHITESPACE and ELLIPSIS).
``python`` without prompts
    A script. What it prints is shown in the block right after it, an unlabelled fence
    (```` ``` ````): its stdout must equal that block, line for line (trailing spaces
    aside). A script without such a block must print nothing.
``console``
    A terminal session: ``$ COMMAND`` lines, each followed by its output. ``nnmath ...``
    runs through :func:`nnmath.cli.main` (stdout and stderr both shown), ``python -c "..."``
    runs its code; the commands of one page share a temporary working directory, so a
    page can write its example files and then evaluate them (``nnmath tour``, ``plot``
    and ``describe``, which read no file, run once for all the pages that show them). A
    line ``...`` alone stands for any number of lines; the wall time (``done in 4.7 s``,
    ``"seconds": 0.006``) and the port of a local Dask scheduler are masked before the
    comparison. Any other command makes the block fail unless it is marked to be skipped.
``sh``
    Commands to type, with no output shown (installation, a cluster's set-up): not run.
``text``
    Neither code nor output (a directory tree): not run.

The blocks of one page run in order in one namespace, as a doctest file does. A block
that needs an optional library (dask, matplotlib, torch, jax) is skipped with a reason
when it is not installed. A block is skipped otherwise only when the line before its
fence is an explicit marker with the reason, ``<!-- docs-test: skip (REASON) -->``, not
shown on the rendered page.
"""

from __future__ import annotations

import contextlib
import doctest
import importlib.util
import io
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [page for page in (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
         if "```" in page.read_text(encoding="utf-8")]
SKIP = re.compile(r"<!-- docs-test: skip \((.+)\) -->")
KINDS = ("python", "console", "sh", "text", "")
OPTIONAL = ("dask", "distributed", "matplotlib", "torch", "jax")
#: what changes from one run to the next: masked in the actual and the shown output alike
VOLATILE = [(re.compile(r"done in \d+(\.\d+)? s"), "done in <T> s"),
            (re.compile(r'"seconds": \d+(\.\d+)?(e-?\d+)?'), '"seconds": <T>'),
            (re.compile(r"tcp://127\.0\.0\.1:\d+"), "tcp://127.0.0.1:<PORT>")]


@dataclass
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    kind: str
    text: str
    skip: str | None  # the reason of an explicit marker
    output: Block | None = None  # the unlabelled block that shows a script's stdout

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def read_blocks(page: Path) -> list[Block]:
    """The fenced blocks of a page; an unlabelled block right after a python script is
    attached to it as its output."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    last_end = -10
    while i < len(lines):
        m = re.match(r"^```(\S*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        start, kind = i, m.group(1)
        end = start + 1
        while end < len(lines) and lines[end].rstrip() != "```":
            end += 1
        assert end < len(lines), f"{page.name}:{start + 1}: the block is not closed"
        marker = SKIP.search(lines[start - 1]) if start else None
        block = Block(page, start + 1, kind, "\n".join(lines[start + 1:end]) + "\n",
                      marker.group(1) if marker else None)
        between = lines[last_end + 1:start]
        prev = blocks[-1] if blocks else None
        if (kind == "" and prev is not None and prev.kind == "python"
                and ">>>" not in prev.text and not any(s.strip() for s in between)):
            prev.output = block
        else:
            blocks.append(block)
        last_end = end
        i = end + 1
    return blocks


def _needs(block: Block) -> list[str]:
    text = block.text
    found = [lib for lib in OPTIONAL
             if re.search(rf"^\s*(>>> )?(import|from) {lib}\b", text, re.M)]
    if block.kind == "console":
        if "--engine dask" in text:
            found.append("distributed")
        if re.search(r"^\$ nnmath (plot|tour)\b", text, re.M):
            found.append("matplotlib")
    return found


# -- running a page -------------------------------------------------------------------------

def _run_doctest(block: Block, ns: dict) -> None:
    test = doctest.DocTestParser().get_doctest(block.text, ns, block.where, str(block.page),
                                               block.line)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE
                                   | doctest.ELLIPSIS)
    report = io.StringIO()
    runner.run(test, out=report.write, clear_globs=False)
    ns.update(test.globs)  # a DocTest runs in a copy of the namespace it is given
    assert runner.failures == 0, f"{block.where}: a doctest failed\n{report.getvalue()}"
    assert runner.tries > 0


def _trimmed(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def _run_script(block: Block, ns: dict) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block.text, block.where, "exec"), ns)
    shown = block.output.text if block.output is not None else ""
    assert _trimmed(out.getvalue()) == _trimmed(shown), (
        f"{block.where}: the script printed\n{out.getvalue()}\nwhere the page shows\n{shown}")


def _commands(block: Block) -> list[tuple[str, list[str]]]:
    """``(command, shown output lines)`` of a console block; a ``python -c "`` command
    runs to its closing quote, a line ending in a backslash continues."""
    lines = block.text.splitlines()
    out: list[tuple[str, list[str]]] = []
    i = 0
    while i < len(lines):
        assert lines[i].startswith("$ "), f"{block.where}: expected '$ COMMAND': {lines[i]}"
        command = lines[i][2:]
        i += 1
        while (command.count('"') % 2 == 1 or command.endswith("\\")) and i < len(lines):
            command = (command[:-1] if command.endswith("\\") else command + "\n") + lines[i]
            i += 1
        shown = []
        while i < len(lines) and not lines[i].startswith("$ "):
            shown.append(lines[i])
            i += 1
        out.append((command, shown))
    return out


def _mask(text: str) -> str:
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def _matches(actual: str, shown: list[str]) -> bool:
    """``actual`` against the shown lines, where a line ``...`` stands for any lines."""
    parts = []
    for line in _trimmed("\n".join(shown)).splitlines():
        parts.append(r"(?:.*\n)*?" if line.strip() == "..." else re.escape(_mask(line)) + r"\n")
    text = _trimmed(_mask(actual))
    return re.fullmatch("".join(parts), text + "\n" if text else "") is not None


#: the output of the commands that read no file, run once for all the pages that show them
_READ_NOTHING = re.compile(r"^nnmath (tour|plot|describe)\b")
_outputs: dict[str, str] = {}


def _run_console(block: Block) -> None:
    """Runs in the page's working directory (a temporary one)."""
    from nnmath.cli import main

    for command, shown in _commands(block):
        if command not in _outputs:
            out = io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                if command.startswith("nnmath "):
                    main(shlex.split(command)[1:])
                elif command.startswith('python -c "'):
                    exec(compile(shlex.split(command)[2], block.where, "exec"), {})
                else:
                    pytest.fail(f"{block.where}: cannot run {command!r}; mark the block "
                                "<!-- docs-test: skip (REASON) --> if it must stay")
            if not _READ_NOTHING.match(command):
                _check_output(block, command, out.getvalue(), shown)
                continue
            _outputs[command] = out.getvalue()
        _check_output(block, command, _outputs[command], shown)


def _check_output(block: Block, command: str, printed: str, shown: list[str]) -> None:
    assert _matches(printed, shown), (
        f"{block.where}: $ {command}\nprinted\n{printed}\nwhere the page shows\n"
        + "\n".join(shown))


def _page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
def test_every_block_of_the_page_runs(page: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.delenv("NNMATH_NUM_THREADS", raising=False)
    ns: dict = {"__name__": "__docs__"}
    ran, skipped = 0, []
    with np.printoptions():
        for block in read_blocks(page):
            assert block.kind in KINDS, f"{block.where}: unknown block kind {block.kind!r}"
            assert block.kind != "" or block.skip, (
                f"{block.where}: an unlabelled block that shows no script's output; label "
                "it console (commands with output), sh (commands) or text")
            if block.kind in ("sh", "text"):
                continue
            missing = [lib for lib in _needs(block) if importlib.util.find_spec(lib) is None]
            if block.skip or missing:
                skipped.append(f"{block.where}: "
                               + (block.skip or f"needs {', '.join(missing)}"))
                continue
            if block.kind == "python" and ">>>" in block.text:
                _run_doctest(block, ns)
            elif block.kind == "python":
                _run_script(block, ns)
            else:
                _run_console(block)
            ran += 1
    if ran == 0 and skipped:  # a page of an optional library that is not installed
        pytest.skip("; ".join(skipped))
    assert ran > 0
    if skipped:
        print("\n".join(skipped))  # shown with -rP; the reasons are in the markers


def test_the_block_reader() -> None:
    """The reader pairs a script with its output block and reads the skip marker."""
    page = ROOT / "tests" / "data" / "docs_sample.md"
    blocks = read_blocks(page)
    assert [(b.kind, b.line) for b in blocks] == [("python", 3), ("console", 12),
                                                  ("python", 21)]
    assert blocks[0].output is not None and blocks[0].output.text == "3\n"
    assert blocks[1].skip == "writes 4 GB" and blocks[2].skip is None
    assert _commands(blocks[1]) == [("python big.py --n 2", ["done"]),
                                    ('python -c "\nprint(1)\n"', ["1"])]
    assert _matches("a\nb\nc\nd\n", ["a", "...", "d"])
    assert not _matches("a\nb\nc\n", ["a", "...", "d"])
    assert _matches("done in 12.5 s\n", ["done in 4.7 s"])
