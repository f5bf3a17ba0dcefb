"""``python -m nnmath``: the seed notebook's activation examples, computed by nnmath.

Each example prints what nnmath computes and, where the notebook's code was wrong, what
the notebook printed and why.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np

from . import __version__
from .activations import Leaky_ReLu, ReLu, Sigmoid, Softmax, TanH


def _show(label: str, value: object) -> None:
    text = np.array2string(np.asarray(value), precision=8, max_line_width=88,
                           separator=", ", threshold=12, edgeitems=3)
    pad = " " * (len(label) + 2)
    print(f"{label}: " + text.replace("\n", "\n" + pad))


def _section(title: str) -> None:
    print()
    print(title)
    print("-" * len(title))


def seed_examples() -> None:
    """Print the notebook's activation cells, run against nnmath's classes."""
    print(f"nnmath {__version__}: the seed notebook's activation examples, corrected")

    _section("Sigmoid on x = np.arange(-10, 10, 0.2)")
    x = np.arange(-10, 10, 0.2)
    y = Sigmoid()
    _show("nnmath  Sigmoid()(x)", y(x))
    # the notebook wrote (1/ 1+np.exp(-x)): 1/1 + exp(-x) by operator precedence
    _show("notebook printed    ", 1 / 1 + np.exp(-x))
    print("The notebook's values (2.2e4 at x = -10) are 1 + exp(-x): `(1/ 1+np.exp(-x))`")
    print("parses as (1/1) + exp(-x). The sigmoid is 1/(1 + exp(-x)), in (0, 1).")
    _show("nnmath  Sigmoid().gradient([-10, 0, 10])", y.gradient([-10.0, 0.0, 10.0]))
    print("sigma' = sigma(1 - sigma) lies in (0, 1/4]; nnmath computes it as z/(1+z)^2,")
    print("z = exp(-|x|), so no overflow and no cancellation at any x.")

    _section("Softmax on the notebook's x2 (rows are samples)")
    x2 = np.array([[1, 2, 3, 6], [2, 4, 5, 6], [1, 2, 3, 6]])
    sm = Softmax()
    _show("nnmath  Softmax()(x2)", sm(x2))
    print("Same values as the notebook: its unshifted exp(x)/sum(exp(x)) is fine here.")
    big = x2 + 1000.0
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(big) / np.sum(np.exp(big), axis=1, keepdims=True)
    _show("notebook formula on x2 + 1000", naive[0])
    _show("nnmath  Softmax()(x2 + 1000)  ", sm(big)[0])
    print("Softmax is unchanged by adding a constant to a row; nnmath subtracts the row")
    print("maximum first, the notebook's formula overflows to NaN for x > 709 (float64).")
    p = sm(x2[:1])[0]
    _show("notebook 'gradient' p(1-p)     ", p * (1 - p))
    _show("nnmath  Softmax().gradient(x)[0]", sm.gradient(x2[0])[0])
    print("The derivative of softmax is a Jacobian, diag(p) - p p^T; p(1-p) is only its")
    print("diagonal. In backpropagation use the vector-Jacobian product:")
    g = np.array([0.1, -0.2, 0.3, 0.05])
    _show("nnmath  Softmax().backward(x, g)", sm.backward(x2[0], g))
    _show("p * (g - sum(g * p))            ", p * (g - np.sum(g * p)))

    _section("ReLu and Leaky_ReLu on z = uniform(-1, 1, (3, 3)), seed 0")
    z = np.random.default_rng(0).uniform(-1, 1, (3, 3))
    _show("nnmath  ReLu()(z)", ReLu()(z))
    _show("nnmath  Leaky_ReLu()(z)", Leaky_ReLu()(z))
    _show("gradients at x = [-1, 0, 1]: ReLu", ReLu().gradient([-1.0, 0.0, 1.0]))
    _show("                       Leaky_ReLu", Leaky_ReLu().gradient([-1.0, 0.0, 1.0]))
    print("At the kink x = 0 the notebook returned 1; any value between the one-sided")
    print("derivatives is a valid subgradient. nnmath follows PyTorch: relu'(0) = 0 and")
    print("leaky_relu'(0) = alpha. A leaky ReLU with alpha other than 0.01 is still a leaky")
    print("ReLU; the randomized ReLU (RReLU) draws alpha at random while training.")

    _section("TanH on x = [-1000, -1, 1e-12, 1, 1000]")
    t = np.array([-1000.0, -1.0, 1e-12, 1.0, 1000.0])
    _show("nnmath  TanH()(x)", TanH()(t))
    with np.errstate(over="ignore"):
        _show("notebook formula ", 2 / (1 + np.exp(-2 * t)) - 1)
    _show("nnmath  TanH().gradient([10, 20])", TanH().gradient([10.0, 20.0]))
    _show("notebook 1 - tanh(x)**2          ", 1 - np.tanh([10.0, 20.0]) ** 2)
    print("The notebook's 2/(1 + exp(-2x)) - 1 overflows in exp for x < -354 (a warning)")
    print("and loses all relative accuracy near 0; its gradient 1 - tanh^2 cancels to 0 for")
    print("large |x|. nnmath computes sech^2(x) = 4z/(1+z)^2 with z = exp(-2|x|).")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m nnmath`` (and, until the command line grows, ``nnmath``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-h", "--help"):
        print("usage: python -m nnmath   print the seed notebook's activation examples")
        return 0
    if args and args[0] in ("-V", "--version"):
        print(f"nnmath {__version__}")
        return 0
    if args:
        print(f"nnmath: error: unexpected arguments {args!r} (try --help)", file=sys.stderr)
        return 2
    seed_examples()
    return 0


if __name__ == "__main__":
    sys.exit(main())
