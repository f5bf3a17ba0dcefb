"""Draw the figures the README embeds, into ``docs/images/`` (``make docs-images``).

Every figure comes from :mod:`nnmath.plotting`, so the pictures in the README are the
ones ``nnmath plot`` and ``nnmath tour`` draw:

* ``softmax_logsumexp.png`` — max vs LogSumExp, and softmax as the gradient of LogSumExp
  (the seed notebook's confusion, drawn right);
* ``selu.png`` — ``nnmath plot selu``: the derivative dashed, the kink with the value
  nnmath's gradient returns there, the asymptote;
* ``gallery.png`` — every activation with its derivative.

Usage: ``python tools/make_docs_images.py [--out docs/images]``. Needs the ``plot`` extra
(matplotlib). PNG metadata carry no version or date, so an unchanged figure gives an
unchanged file with the same matplotlib.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images",
                        help="directory to write (default: docs/images)")
    args = parser.parse_args(argv)
    try:
        from nnmath import plotting as P
    except ImportError:  # running from a checkout without installing
        sys.path.insert(0, str(ROOT / "src"))
        from nnmath import plotting as P

    args.out.mkdir(parents=True, exist_ok=True)
    figures = {
        "softmax_logsumexp.png": (P.plot_softmax_logsumexp(), 110),
        "selu.png": (P.plot_activation("selu"), 110),
        "gallery.png": (P.plot_gallery(), 80),
    }
    for name, (fig, dpi) in figures.items():
        path = args.out / name
        P.save(fig, path, dpi=dpi)
        width, height = fig.get_size_inches() * dpi
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} "
              f"({width:.0f}×{height:.0f} px, {path.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
