"""Shared pieces of the ``get`` functions of activations, losses and metrics: the reading
of a serialized ``{"class_name": ..., "config": ...}`` dict and the snake_case spelling of
a class name."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["FUNCTION", "class_or_callable", "config_dict", "snake_case"]

#: the ``class_name`` of a serialized function: its ``config`` is the function's name
FUNCTION = "function"


def snake_case(name: str) -> str:
    """The snake_case spelling of a class name, with the word breaks Keras uses for its
    registry: a capital letter starts a new word when a lower-case letter precedes or
    follows it (so an acronym stays one word: ``AUC``, the ``Io`` of ``IoU``).

    >>> [snake_case(n) for n in ("BinaryAccuracy", "AUC", "F1Score", "MeanIoU", "KLDivergence")]
    ['binary_accuracy', 'auc', 'f1_score', 'mean_io_u', 'kl_divergence']
    """
    out: list[str] = []
    for i, ch in enumerate(name):
        if ch.isupper() and i:
            prev = name[i - 1]
            nxt = name[i + 1] if i + 1 < len(name) else ""
            if prev.islower() or nxt.islower():
                out.append("_")
        out.append(ch.lower())
    return "".join(out)


def config_dict(identifier: Mapping[str, Any], what: str,
                params: Mapping[str, Any]) -> tuple[str, Any]:
    """``(class_name, config)`` of a serialized dict, ``params`` merged into a dict config.

    The other keys of Keras's serialized form (``module``, ``registered_name``, ...) are
    ignored. A missing ``class_name`` is a ``ValueError``; a function's ``config`` is its
    name (a string); a class's ``config`` is a dict of constructor arguments, or absent.
    """
    class_name = identifier.get("class_name")
    if not isinstance(class_name, str):
        raise ValueError(f"cannot interpret {dict(identifier)!r} as {what}: a dict identifier "
                         "needs a 'class_name' string (and optionally a 'config')")
    config = identifier.get("config")
    if class_name == FUNCTION:
        if not isinstance(config, str):
            raise ValueError(f"cannot interpret {dict(identifier)!r} as {what}: a serialized "
                             "function has its name as 'config'")
        return class_name, config
    if config is None:
        config = {}
    if not isinstance(config, Mapping):
        raise ValueError(f"cannot interpret {dict(identifier)!r} as {what}: 'config' must be "
                         f"a dict, got {type(config).__name__}")
    return class_name, {**config, **params}


def class_or_callable(identifier: Any, params: dict[str, Any],
                      functions: Mapping[Callable[..., Any], Any], what: str,
                      functions_word: str, accepted: str) -> Any:
    """The last cases of a ``get``: a class gives an instance (any class, as Keras); a
    callable is returned as it is, or, with ``params``, one of ``functions`` gives an
    instance of its class; anything else is a ``ValueError`` that lists ``accepted``."""
    if inspect.isclass(identifier):
        return identifier(**params)
    if callable(identifier):
        if not params:
            return identifier
        if identifier in functions:
            return functions[identifier](**params)
        raise TypeError(f"params {sorted(params)} cannot be applied to {identifier!r}: "
                        f"it is not one of nnmath's {functions_word}")
    raise ValueError(f"cannot interpret {identifier!r} as {what}: give {accepted}")
