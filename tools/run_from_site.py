"""Run pytest against an nnmath installed under a staging directory (``meson install
--destdir``) instead of the editable install of the virtualenv.

    python tools/run_from_site.py DESTDIR [pytest arguments...]

Used by ``make test-asan``: the sanitizer build is installed under ``build/asan/site``.
"""

from __future__ import annotations

import pathlib
import sys


def main() -> int:
    if len(sys.argv) < 2:
        print("usage: run_from_site.py DESTDIR [pytest arguments...]", file=sys.stderr)
        return 2
    dest = pathlib.Path(sys.argv[1]).resolve()
    sites = sorted(p for p in dest.rglob("site-packages") if (p / "nnmath").is_dir())
    if not sites:
        print(f"run_from_site.py: error: no site-packages/nnmath under {dest}; run "
              "`meson install --destdir` first", file=sys.stderr)
        return 2
    # the editable install's finder would answer `import nnmath` before sys.path is read
    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "MesonpyMetaFinder"]
    sys.path.insert(0, str(sites[0]))
    import pytest

    import nnmath

    if not pathlib.Path(nnmath.__file__).is_relative_to(sites[0]):
        print(f"run_from_site.py: error: nnmath came from {nnmath.__file__}", file=sys.stderr)
        return 2
    print(f"nnmath from {sites[0]}")
    return pytest.main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
