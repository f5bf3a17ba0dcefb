"""The path each function of :mod:`nnmath.jax` takes on the CPU backend by default.

Placeholder until ``benchmarks/jax_speed.py --write`` measures it.
"""

CPU_DEFAULT: dict[str, str] = {}
