"""Checks of values given by users, shared by the registries, ``Run`` and the command line.

``check_options(factory, options, kind=..., name=...)`` compares option names with the factory's signature
(unknown names are refused with the list of accepted ones) and option values with its annotations (``int``,
``float``, ``bool``, ``str`` and ``X | None``; richer annotations are left to the factory). ``check_seed``
refuses seeds outside ``0..SEED_MAX``.
"""
from __future__ import annotations

import functools
import inspect
import typing
from typing import Any, Callable, Mapping

from workbench.errors import WorkbenchError

#: seeds are integers 0..SEED_MAX: what ``numpy.random.SeedSequence`` takes and an SQLite INTEGER holds
SEED_MAX = 2**63 - 1


class OptionError(WorkbenchError, ValueError):
    """An option name a component does not have, or a value of the wrong type."""


def check_seed(seed: Any, what: str = "seed") -> int | None:
    """``seed`` as an int (None stays None); refused unless an integer in 0..SEED_MAX."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not (isinstance(seed, int) or type(seed).__name__.startswith(("int", "uint"))):
        raise OptionError(f"{what} must be an integer in 0..2**63-1, got {seed!r}")
    if not 0 <= int(seed) <= SEED_MAX:
        raise OptionError(f"{what} {_short(seed)} is out of range: seeds are integers in 0..2**63-1 ({SEED_MAX})")
    return int(seed)


@functools.lru_cache(maxsize=512)  # a factory's signature does not change: read it once per process
def accepted_options(factory: Callable, implicit: tuple[str, ...] = ("space",)) -> tuple[str, ...] | None:
    """The keyword options ``factory`` takes (without ``implicit`` ones); None if it takes ``**kwargs``."""
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return tuple(p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in implicit)


def check_options(factory: Callable, options: Mapping[str, Any], *, kind: str, name: str,
                  implicit: tuple[str, ...] = ("space",)) -> None:
    """Refuse option names ``factory`` does not take and values that contradict its annotations."""
    accepted = accepted_options(factory, implicit)
    if accepted is not None:
        unknown = [k for k in options if k not in accepted and k not in implicit]
        if unknown:
            listed = ", ".join(accepted) or "none"
            raise OptionError(f"{kind} {name!r} has no option {unknown[0]!r}; accepted options: {listed}")
    hints = _hints(factory) if options else {}
    for key, value in options.items():
        expected = _simple_types(hints.get(key))
        if expected is None or _matches(value, expected):
            continue
        words = " or ".join(_WORDS[t] for t in expected)
        raise OptionError(f"{kind} {name!r} option {key!r} must be {words}, got {_short(value)}"
                          f" ({type(value).__name__})")


_WORDS = {int: "an integer", float: "a number", bool: "true/false", str: "a text", type(None): "null"}


@functools.lru_cache(maxsize=512)
def _hints(factory: Callable) -> dict[str, Any]:
    target = factory.__init__ if inspect.isclass(factory) else factory
    try:
        return typing.get_type_hints(target)
    except Exception:  # an annotation that cannot be resolved here: leave types to the factory
        return {}


def _simple_types(hint: Any) -> tuple[type, ...] | None:
    """The plain types a hint allows, or None when the hint is richer than int/float/bool/str/None."""
    if hint is None:
        return None
    if hint in _WORDS:
        return (hint,)
    args = typing.get_args(hint)
    origin = typing.get_origin(hint)
    if args and (origin is typing.Union or type(hint).__name__ == "UnionType"):
        out = tuple(a for a in args if a in _WORDS)
        return out if len(out) == len(args) else None
    return None


def _matches(value: Any, expected: tuple[type, ...]) -> bool:
    if value is None:
        return type(None) in expected
    if isinstance(value, bool):
        return bool in expected
    integer = isinstance(value, int) or type(value).__name__.startswith(("int", "uint"))
    if integer:
        return int in expected or float in expected
    if isinstance(value, float) or type(value).__name__.startswith("float"):
        return float in expected
    return any(isinstance(value, t) for t in expected if t is not type(None))


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 5] + "...'"
