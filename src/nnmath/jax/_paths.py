"""The path each function of :mod:`nnmath.jax` takes on the CPU backend by default.

Written by ``benchmarks/jax_speed.py --write`` from the figures in
``benchmarks/JAX_SPEED.md``: ``"core"`` (nnmath's compiled core through
``jax.pure_callback``) where it was faster than nnmath's ``xp`` formulas traced by XLA
in every case at 10M elements (float32 and float64, value and value + gradient),
``"xp"`` otherwise. :func:`nnmath.jax.use_core` overrides it.
"""

CPU_DEFAULT: dict[str, str] = {
    'celu': 'xp',
    'elu': 'xp',
    'exponential': 'xp',
    'gelu': 'xp',
    'glu': 'xp',
    'hard_shrink': 'xp',
    'hard_sigmoid': 'xp',
    'hard_silu': 'xp',
    'hard_tanh': 'xp',
    'leaky_relu': 'xp',
    'linear': 'xp',
    'log_sigmoid': 'xp',
    'log_softmax': 'xp',
    'mish': 'xp',
    'prelu': 'xp',
    'relu': 'xp',
    'relu6': 'xp',
    'rrelu': 'xp',
    'selu': 'xp',
    'sigmoid': 'xp',
    'silu': 'xp',
    'soft_shrink': 'xp',
    'softmax': 'xp',
    'softmin': 'xp',
    'softplus': 'xp',
    'softsign': 'xp',
    'sparse_plus': 'xp',
    'sparse_sigmoid': 'xp',
    'sparsemax': 'xp',
    'squareplus': 'xp',
    'tanh': 'xp',
    'tanh_shrink': 'xp',
    'threshold': 'xp',
    'softmax_cross_entropy': 'xp',
    'softmax_cross_entropy_with_integer_labels': 'xp',
    'sigmoid_binary_cross_entropy': 'xp',
}
