#!/usr/bin/env python
"""Generate the Keras 3 reference vectors that ``tests/test_losses_keras.py`` checks.

Usage::

    pip install keras jax          # test-time tools only, not nnmath dependencies
    python tools/generate_keras_loss_vectors.py [--out tests/data]

Every case (a loss class, its constructor options, a reduction, inputs and an optional
``sample_weight``) is run through Keras itself, in a child process per backend:

* ``KERAS_BACKEND=numpy`` — the reference the tests compare with (Keras 3.15's numpy
  backend imports jax for its FFT helpers, hence ``pip install jax``);
* ``KERAS_BACKEND=jax`` — when jax is importable: its binary cross-entropy from logits is
  exact (``log_sigmoid``), where the numpy backend clips ``sigmoid(z)``. nnmath follows
  the exact backends, and the tests use these outputs for the cases tagged
  ``saturated_logits``.

Keras computes in float32 (``floatx``); the inputs are generated as float32. Outputs:

* ``keras_losses.npz`` — plain float32 arrays: ``<id>__y_true``, ``<id>__y_pred``,
  ``<id>__sample_weight`` (when the case has one), ``<id>__numpy``, ``<id>__jax``;
* ``keras_losses.json`` — the cases: ``id``, ``loss`` (class name), ``kwargs``,
  ``reduction``, ``tags`` (why a case is special, e.g. a documented divergence), and the
  Keras version and backends used.

The data are deterministic (fixed seeds) and small (well under 1 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

F32 = np.float32
REDUCTIONS = ["none", "sum", "sum_over_batch_size", "mean", "mean_with_sample_weight"]


# -- inputs ---------------------------------------------------------------------------------

def _inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    n, c = 6, 4
    d: dict[str, np.ndarray] = {}
    d["bin_y"] = rng.integers(0, 2, (n, c)).astype(F32)
    d["bin_y_soft"] = rng.uniform(0, 1, (n, c)).astype(F32)
    d["bin_p"] = rng.uniform(0.02, 0.98, (n, c)).astype(F32)
    # exact 0 and 1, values inside the clip band, the float32 neighbours of 1 - eps
    d["bin_p_edge"] = np.array([
        [0.0, 1.0, 1e-9, 1 - 1e-8],
        [1e-7, 0.99999988, 0.5, 0.25],
        [1.0, 0.0, 0.999, 1e-3],
        [0.3, 0.7, 0.0, 1.0],
        [5e-8, 0.9999999, 2e-7, 0.9999998],
        [0.1, 0.9, 0.6, 0.4],
    ], dtype=F32)
    d["logits"] = np.clip(rng.normal(0, 3, (n, c)), -8, 8).astype(F32)
    d["logits_sat"] = np.array([
        [30.0, -30.0, 100.0, -100.0],
        [1e4, -1e4, 17.0, -17.0],
        [50.0, -50.0, 0.0, 20.0],
        [-88.0, 88.0, -200.0, 200.0],
        [90.0, -90.0, 1.0, -1.0],
        [-1e4, 1e4, 40.0, -40.0],
    ], dtype=F32)
    d["cat_y"] = np.eye(c, dtype=F32)[rng.integers(0, c, n)]
    d["cat_y_soft"] = rng.dirichlet(np.ones(c), n).astype(F32)
    d["cat_p"] = rng.dirichlet(np.ones(c), n).astype(F32)
    d["cat_p_unnorm"] = rng.uniform(0.0, 1.0, (n, c)).astype(F32)  # rows do not sum to 1
    d["cat_p_edge"] = np.array([
        [1.0, 0.0, 0.0, 0.0],
        [0.0, 1.0, 0.0, 0.0],
        [0.5, 0.5, 0.0, 0.0],
        [1e-9, 1.0 - 1e-9, 0.0, 0.0],
        [0.25, 0.25, 0.25, 0.25],
        [0.0, 0.0, 0.3, 0.0],
    ], dtype=F32)
    d["cat_y_edge"] = np.eye(c, dtype=F32)[[0, 0, 2, 1, 3, 3]]
    d["cat_logits_sat"] = np.array([
        [1e4, 0.0, -1e4, 5.0],
        [0.0, 200.0, -200.0, 0.0],
        [-100.0, 100.0, 0.0, 0.0],
        [30.0, -30.0, 1.0, 2.0],
        [88.0, 89.0, 90.0, -1e3],
        [-1e4, -1e4, -1e4, 1e4],
    ], dtype=F32)
    d["sparse"] = rng.integers(0, c, n).astype(F32)
    d["sparse_ign"] = np.array([0, -1, 3, 2, -1, 1], dtype=F32)
    d["seq_p"] = rng.dirichlet(np.ones(c), (n, 3)).astype(F32)  # (N, T, C)
    d["seq_y"] = np.eye(c, dtype=F32)[rng.integers(0, c, (n, 3))]
    d["seq_logits"] = rng.normal(0, 2, (n, 3, c)).astype(F32)
    d["seq_sparse"] = rng.integers(0, c, (n, 3)).astype(F32)
    d["kl_y"] = rng.dirichlet(np.ones(c), n).astype(F32)
    d["kl_y"][0, 1] = 0.0
    d["kl_p"] = rng.dirichlet(np.ones(c), n).astype(F32)
    d["kl_p"][1, 2] = 0.0
    d["pois_y"] = rng.poisson(3.0, (n, c)).astype(F32)
    d["pois_p"] = rng.gamma(2.0, 1.5, (n, c)).astype(F32)
    d["pois_p"][0, 0] = 0.0
    d["hinge_y01"] = rng.integers(0, 2, (n, c)).astype(F32)
    d["hinge_ypm"] = (2 * rng.integers(0, 2, (n, c)) - 1).astype(F32)
    d["hinge_ymixed"] = rng.uniform(-1, 1, (n, c)).astype(F32)
    d["scores"] = rng.normal(0, 1.5, (n, c)).astype(F32)
    d["sw"] = np.array([1.0, 0.5, 0.0, 2.0, 1.5, 0.25], dtype=F32)
    d["sw_col"] = d["sw"][:, None]
    d["sw_seq"] = rng.uniform(0, 2, (n, 3)).astype(F32)
    return d


# -- cases ----------------------------------------------------------------------------------

def build_cases() -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    rng = np.random.default_rng(20240611)
    x = _inputs(rng)
    cases: list[dict[str, Any]] = []
    arrays: dict[str, np.ndarray] = {}

    def add(loss: str, y: str | np.ndarray, p: str | np.ndarray, reduction: str = "none",
            sw: str | float | None = None, tags: tuple[str, ...] = (), **kwargs: Any) -> None:
        cid = f"c{len(cases):03d}"
        arrays[f"{cid}__y_true"] = x[y] if isinstance(y, str) else np.asarray(y, F32)
        arrays[f"{cid}__y_pred"] = x[p] if isinstance(p, str) else np.asarray(p, F32)
        if sw is not None:
            arrays[f"{cid}__sample_weight"] = np.asarray(x[sw] if isinstance(sw, str) else sw,
                                                         F32)
        cases.append({"id": cid, "loss": loss, "kwargs": kwargs, "reduction": reduction,
                      "tags": list(tags)})

    # -- option sweeps, per-sample values (reduction "none") ----------------------------
    for ls in (0.0, 0.1):
        for y in ("bin_y", "bin_y_soft"):
            add("BinaryCrossentropy", y, "bin_p", label_smoothing=ls)
            add("BinaryCrossentropy", y, "logits", label_smoothing=ls, from_logits=True)
        add("BinaryCrossentropy", "bin_y", "bin_p_edge", label_smoothing=ls)
        add("BinaryCrossentropy", "bin_y", "logits_sat", label_smoothing=ls, from_logits=True,
            tags=("saturated_logits",))
    # Keras's documented clip numbers: y=0, p=1 -> 15.942385; y=1, p=0 -> 16.118095
    add("BinaryCrossentropy", [[0.0], [1.0]], [[1.0], [0.0]], tags=("documented",))
    # Keras's rank rule: (N,) labels with (N, 1) predictions and the other way round
    add("BinaryCrossentropy", x["bin_y"][:, 0], x["bin_p"][:, :1], tags=("rank_rule",))
    add("BinaryCrossentropy", x["bin_y"][:, :1], x["bin_p"][:, 0], tags=("rank_rule",))

    focal_opts = [
        {}, {"gamma": 0.0}, {"gamma": 0.5}, {"gamma": 3.0},
        {"apply_class_balancing": True}, {"apply_class_balancing": True, "alpha": 0.6},
        {"label_smoothing": 0.1}, {"apply_class_balancing": True, "label_smoothing": 0.2},
    ]
    for opts in focal_opts:
        add("BinaryFocalCrossentropy", "bin_y", "bin_p", **opts)
        add("BinaryFocalCrossentropy", "bin_y", "logits", from_logits=True, **opts)
    add("BinaryFocalCrossentropy", "bin_y_soft", "bin_p")
    add("BinaryFocalCrossentropy", "bin_y", "bin_p_edge")
    add("BinaryFocalCrossentropy", "bin_y", "logits_sat", from_logits=True,
        tags=("saturated_logits",))

    for ls in (0.0, 0.2):
        for y in ("cat_y", "cat_y_soft"):
            add("CategoricalCrossentropy", y, "cat_p", label_smoothing=ls)
            add("CategoricalCrossentropy", y, "cat_p_unnorm", label_smoothing=ls)
            add("CategoricalCrossentropy", y, "logits", label_smoothing=ls, from_logits=True)
        add("CategoricalCrossentropy", "cat_y_edge", "cat_p_edge", label_smoothing=ls)
        add("CategoricalCrossentropy", "cat_y", "cat_logits_sat", label_smoothing=ls,
            from_logits=True)
    # axis=0 on transposed input; with label smoothing Keras counts classes along the
    # last axis whatever `axis` is (nnmath uses the size of `axis`)
    add("CategoricalCrossentropy", x["cat_y"].T, x["cat_p"].T, axis=0)
    add("CategoricalCrossentropy", x["cat_y"].T, x["logits"].T, axis=0, from_logits=True)
    add("CategoricalCrossentropy", x["cat_y"].T, x["cat_p"].T, axis=0, label_smoothing=0.2,
        tags=("axis_label_smoothing",))
    add("CategoricalCrossentropy", "seq_y", "seq_p")
    add("CategoricalCrossentropy", "seq_y", "seq_logits", from_logits=True)

    for logits in (False, True):
        p = "logits" if logits else "cat_p_unnorm"
        add("SparseCategoricalCrossentropy", "sparse", p, from_logits=logits)
        add("SparseCategoricalCrossentropy", x["sparse"][:, None], p, from_logits=logits)
        add("SparseCategoricalCrossentropy", "sparse_ign", p, from_logits=logits,
            ignore_class=-1)
        add("SparseCategoricalCrossentropy", "seq_sparse",
            "seq_logits" if logits else "seq_p", from_logits=logits)
    add("SparseCategoricalCrossentropy", x["cat_y_edge"].argmax(-1).astype(F32), "cat_p_edge")
    add("SparseCategoricalCrossentropy", "sparse", "cat_logits_sat", from_logits=True)

    cfocal_opts = [
        {}, {"gamma": 0.0}, {"gamma": 0.5}, {"alpha": 1.0, "gamma": 1.0},
        {"alpha": [0.1, 0.2, 0.3, 0.4]}, {"label_smoothing": 0.1},
    ]
    for opts in cfocal_opts:
        add("CategoricalFocalCrossentropy", "cat_y", "cat_p_unnorm", **opts)
        add("CategoricalFocalCrossentropy", "cat_y", "logits", from_logits=True, **opts)
    add("CategoricalFocalCrossentropy", "cat_y_soft", "cat_p")
    add("CategoricalFocalCrossentropy", "cat_y_edge", "cat_p_edge")
    add("CategoricalFocalCrossentropy", "cat_y", "cat_logits_sat", from_logits=True,
        tags=("saturated_logits",))

    add("KLDivergence", "kl_y", "kl_p")
    add("KLDivergence", "cat_y", "cat_p")
    add("KLDivergence", "cat_y_edge", "cat_p_edge")
    add("Poisson", "pois_y", "pois_p")
    add("Poisson", "bin_y", "bin_p_edge")
    for loss in ("Hinge", "SquaredHinge"):
        for y in ("hinge_y01", "hinge_ypm", "hinge_ymixed"):
            add(loss, y, "scores")
    add("CategoricalHinge", "cat_y", "scores")
    add("CategoricalHinge", "cat_y", "cat_p")
    add("CategoricalHinge", "cat_y_soft", "scores")

    # -- reduction x sample_weight sweeps -------------------------------------------------
    sweep = [
        ("BinaryCrossentropy", "bin_y", "bin_p", {}),
        ("BinaryCrossentropy", "bin_y", "logits", {"from_logits": True}),
        ("BinaryFocalCrossentropy", "bin_y", "bin_p", {"apply_class_balancing": True}),
        ("CategoricalCrossentropy", "cat_y", "cat_p_unnorm", {}),
        ("CategoricalCrossentropy", "cat_y", "logits", {"from_logits": True}),
        ("SparseCategoricalCrossentropy", "sparse", "logits", {"from_logits": True}),
        ("SparseCategoricalCrossentropy", "sparse_ign", "logits",
         {"from_logits": True, "ignore_class": -1}),
        ("SparseCategoricalCrossentropy", "sparse_ign", "cat_p", {"ignore_class": -1}),
        ("CategoricalFocalCrossentropy", "cat_y", "cat_p", {}),
        ("KLDivergence", "kl_y", "kl_p", {}),
        ("Poisson", "pois_y", "pois_p", {}),
        ("Hinge", "hinge_ypm", "scores", {}),
        ("SquaredHinge", "hinge_y01", "scores", {}),
        ("CategoricalHinge", "cat_y", "scores", {}),
    ]
    for loss, y, p, opts in sweep:
        for reduction in REDUCTIONS:
            for sw in (None, "sw", "sw_col"):
                add(loss, y, p, reduction=reduction, sw=sw, **opts)
    # a scalar weight: Keras's mean_with_sample_weight divides by the weight as given
    # (not broadcast), i.e. returns the plain sum; nnmath divides by the broadcast weights
    for loss, y, p, opts in sweep[:1] + sweep[3:4]:
        for reduction in ("sum", "sum_over_batch_size"):
            add(loss, y, p, reduction=reduction, sw=2.5, **opts)
        add(loss, y, p, reduction="mean_with_sample_weight", sw=2.5,
            tags=("scalar_weight_mean",), **opts)
    # sequence losses (N, T) with (N, T) weights
    for reduction in REDUCTIONS:
        add("CategoricalCrossentropy", "seq_y", "seq_logits", reduction=reduction, sw="sw_seq",
            from_logits=True)
        add("SparseCategoricalCrossentropy", "seq_sparse", "seq_p", reduction=reduction,
            sw="sw_seq")
    return cases, arrays


# -- Keras ----------------------------------------------------------------------------------

def _worker(backend: str, folder: Path) -> None:
    """Run in a child process whose KERAS_BACKEND is ``backend``."""
    import warnings

    warnings.simplefilter("ignore")  # Keras's numpy backend warns on 0/0 with ignore_class
    import keras

    assert keras.backend.backend() == backend, keras.backend.backend()
    spec = json.loads((folder / "cases.json").read_text())
    with np.load(folder / "inputs.npz", allow_pickle=False) as data:
        arrays = dict(data)
    out = {}
    for case in spec["cases"]:
        cid = case["id"]
        cls = getattr(keras.losses, case["loss"])
        loss = cls(reduction=case["reduction"], **case["kwargs"])
        sw = arrays.get(f"{cid}__sample_weight")
        value = loss(arrays[f"{cid}__y_true"], arrays[f"{cid}__y_pred"], sample_weight=sw)
        out[f"{cid}__{backend}"] = np.asarray(keras.ops.convert_to_numpy(value), dtype=F32)
    np.savez(folder / f"out_{backend}.npz", **out)
    (folder / f"version_{backend}.txt").write_text(keras.__version__)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parents[1] / "tests" / "data")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker, args.folder)
        return

    cases, arrays = build_cases()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "cases.json").write_text(json.dumps({"cases": cases}))
        np.savez(folder / "inputs.npz", **arrays)
        backends = []
        for backend in ("numpy", "jax"):
            env = dict(os.environ, KERAS_BACKEND=backend)
            proc = subprocess.run(
                [sys.executable, __file__, "--worker", backend, "--folder", str(folder)],
                env=env, capture_output=True, text=True,
            )
            if proc.returncode != 0:
                if backend == "numpy":
                    sys.exit(f"Keras (numpy backend) failed:\n{proc.stderr[-3000:]}")
                print(f"skipping the {backend} backend:\n{proc.stderr.strip()[-300:]}",
                      file=sys.stderr)
                continue
            with np.load(folder / f"out_{backend}.npz", allow_pickle=False) as data:
                arrays.update(dict(data))
            version = (folder / f"version_{backend}.txt").read_text()
            backends.append(backend)
    args.out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out / "keras_losses.npz", **arrays)
    meta = {
        "generator": "tools/generate_keras_loss_vectors.py",
        "keras_version": version,
        "backends": backends,
        "dtype": "float32",
        "cases": cases,
    }
    (args.out / "keras_losses.json").write_text(json.dumps(meta, indent=1) + "\n")
    size = (args.out / "keras_losses.npz").stat().st_size
    print(f"{len(cases)} cases, backends {backends}, keras {version}: "
          f"{args.out / 'keras_losses.npz'} ({size} bytes)")


if __name__ == "__main__":
    main()
