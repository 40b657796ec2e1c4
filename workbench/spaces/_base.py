"""The search-space interface every space implements.

A space is a set of architectures ("archs"). An arch is an immutable, hashable value (a tuple or a frozen
dataclass). The space knows how to write it as text and read it back, sample and mutate it, check it,
draw it (as a networkx graph) and, where it is trainable, build a torch module from it.
"""
from __future__ import annotations

import numbers
import reprlib
from abc import ABC, abstractmethod
from typing import Any, Hashable, Iterator, Mapping, Sequence

import numpy as np

from workbench.errors import OutOfSpaceError

Arch = Hashable

# --- bounded input checks shared by every space's parse paths ------------------------------------
MAX_TEXT_CHARS = 10_000
"""Longest arch text any space reads (the longest canonical text of a built-in space is under 1,000)."""

_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 80
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 8
_SHORT.maxlevel = 3


def shorten(value: Any, limit: int = 80) -> str:
    """``repr(value)`` cut to about ``limit`` characters (safe on huge, deeply nested or odd objects)."""
    try:
        text = value if isinstance(value, str) and len(value) <= limit else None
        text = repr(text) if text is not None else _SHORT.repr(value)
    except Exception:  # a foreign object whose repr fails
        text = f"<{type(value).__name__} object>"
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    if isinstance(value, (str, list, tuple)) and len(value) > limit:
        text += f" ({len(value):,} {'chars' if isinstance(value, str) else 'items'})"
    return text


def check_text(text: Any, what: str, example: str, max_chars: int = MAX_TEXT_CHARS) -> str:
    """``text`` if it is a str of at most ``max_chars`` characters that UTF-8 can encode, else OutOfSpaceError
    naming ``what`` is expected (with ``example``)."""
    if not isinstance(text, str):
        raise OutOfSpaceError(f"{what} must be text (str), got {type(text).__name__}: {shorten(text)}; e.g. {example}")
    if len(text) > max_chars:
        raise OutOfSpaceError(f"{what} is {len(text):,} characters long, at most {max_chars:,} are read: "
                              f"{shorten(text)}; e.g. {example}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise OutOfSpaceError(f"{what} holds a character that is not valid text ({text[exc.start]!r} at "
                              f"position {exc.start}, a lone surrogate): {shorten(text)}") from None
    return text


def as_int(value: Any, what: str, low: int, high: int) -> int:
    """``value`` as an int in ``low..high`` (Python or numpy integers; no bools, floats or text)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise OutOfSpaceError(f"{what} must be an integer in {low}..{high}, got {type(value).__name__}: {shorten(value)}")
    out = int(value)
    if not low <= out <= high:
        raise OutOfSpaceError(f"{what} {shorten(out)} is out of range; accepted {low}..{high}")
    return out


def as_choices(choices: Any, expected: int, space: str) -> list:
    """``choices`` as a list of ``expected`` items (a list, tuple or 1-d array; not text, not an iterator)."""
    if isinstance(choices, np.ndarray):
        choices = choices.tolist() if choices.ndim == 1 else choices
    if isinstance(choices, (str, bytes)) or not isinstance(choices, (list, tuple, range)):
        raise OutOfSpaceError(f"{space} decisions are a list of {expected} integers, got {type(choices).__name__}: "
                              f"{shorten(choices)}")
    if len(choices) != expected:
        raise OutOfSpaceError(f"{space} needs {expected} decisions, got {len(choices):,}: {shorten(choices)}")
    return list(choices)


class SearchSpace(ABC):
    """Base class of search spaces. Subclasses set ``name`` and implement the abstract methods."""

    name: str = ""

    # --- text --------------------------------------------------------------------------------
    @abstractmethod
    def to_string(self, arch: Arch) -> str:
        """The canonical text of ``arch`` (the field's own notation where one exists)."""

    @abstractmethod
    def from_string(self, text: str) -> Arch:
        """Parse text into an arch; raises ``OutOfSpaceError`` naming the bad part and what is accepted."""

    def key(self, arch: Arch) -> str:
        """A canonical key: equal for archs that are the same network (isomorphism-invariant where needed)."""
        return self.to_string(self.validate(arch))

    # --- membership ------------------------------------------------------------------------------
    @abstractmethod
    def validate(self, arch: Any) -> Arch:
        """Return ``arch`` as a member of this space (text is parsed); raise ``OutOfSpaceError`` otherwise."""

    def contains(self, arch: Any) -> bool:
        from workbench.errors import OutOfSpaceError

        try:
            self.validate(arch)
        except OutOfSpaceError:
            return False
        return True

    # --- exploration -----------------------------------------------------------------------------
    @abstractmethod
    def sample(self, rng: np.random.Generator) -> Arch:
        """A uniformly random arch (uniform over the space's encoding)."""

    @abstractmethod
    def mutate(self, arch: Arch, rng: np.random.Generator) -> Arch:
        """A random neighbour of ``arch`` that differs from it."""

    @abstractmethod
    def neighbours(self, arch: Arch) -> list[Arch]:
        """Every arch one mutation away from ``arch``."""

    def distinct_members(self, candidates, exclude: Any = None) -> list[Arch]:
        """The valid ``candidates``, one per ``key()`` (isomorphism class), none equivalent to ``exclude``."""
        seen = {self.key(exclude)} if exclude is not None else set()
        out = []
        for child in candidates:
            if self.contains(child):
                k = self.key(child)
                if k not in seen:
                    seen.add(k)
                    out.append(child)
        return out

    def size(self) -> int | None:
        """Number of archs, or None where the space is not finite or not enumerable."""
        return None

    def enumerate(self) -> Iterator[Arch]:
        raise NotImplementedError(f"the {self.name!r} space cannot be enumerated")

    # --- decisions (for sequential strategies such as REINFORCE and Q-learning) ------------------
    def decisions(self) -> list[tuple[str, Sequence[Any]]]:
        """The arch as a fixed sequence of categorical choices: ``[(decision_name, choices), ...]``."""
        raise NotImplementedError(f"the {self.name!r} space does not expose a decision sequence")

    def from_decisions(self, choices: Sequence[int]) -> Arch:
        raise NotImplementedError(f"the {self.name!r} space does not expose a decision sequence")

    def to_decisions(self, arch: Arch) -> list[int]:
        raise NotImplementedError(f"the {self.name!r} space does not expose a decision sequence")

    # --- views -----------------------------------------------------------------------------------
    @abstractmethod
    def to_graph(self, arch: Arch):
        """A ``networkx.DiGraph`` whose nodes and edges carry ``op`` labels (what nasviz draws)."""

    @abstractmethod
    def encode(self, arch: Arch) -> np.ndarray:
        """A fixed-length float vector (one-hot or similar) for learned strategies and surrogates."""

    def build(self, arch: Arch, num_classes: int, in_channels: int = 3, **options: Any):
        """A ``torch.nn.Module`` for ``arch``; spaces that are not trainable raise NotImplementedError."""
        raise NotImplementedError(f"the {self.name!r} space cannot build a network")

    # --- weight sharing (one-shot strategies) ----------------------------------------------------
    def supernet_options(self) -> dict[str, Any]:
        """The options ``supernet()`` accepts, with their defaults; spaces without a supernet raise."""
        raise NotImplementedError(f"the {self.name!r} space provides no supernet")

    def supernet(self, num_classes: int, in_channels: int = 3, **options: Any):
        """The weight-sharing supernet of this space (a ``torch.nn.Module``; see ``workbench.oneshot._base``)."""
        raise NotImplementedError(f"the {self.name!r} space provides no supernet")

    def derive(self, weights: Mapping[str, Any], ops: Sequence[str]) -> Arch:
        """The arch that per-group (rows x ops) architecture weights point at, by this space's rule."""
        raise NotImplementedError(f"the {self.name!r} space has no rule to derive an arch from weights")

    def _supernet_kwargs(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """``supernet_options()`` updated by ``options``, refusing names it does not list."""
        accepted = self.supernet_options()
        unknown = sorted(set(options) - set(accepted))
        if unknown:
            raise ValueError(f"unknown supernet option(s) {unknown} for the {self.name!r} space; accepted: "
                             f"{', '.join(sorted(accepted))}")
        return {**accepted, **options}

    # --- description -----------------------------------------------------------------------------
    def options(self) -> dict[str, Any]:
        """The constructor's options, JSON-able: ``spaces.create(s.name, **s.options())`` rebuilds an equal
        space (a run records them). Spaces with options override this."""
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
