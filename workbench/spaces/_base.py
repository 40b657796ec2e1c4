"""The search-space interface every space implements.

A space is a set of architectures ("archs"). An arch is an immutable, hashable value (a tuple or a frozen
dataclass). The space knows how to write it as text and read it back, sample and mutate it, check it,
draw it (as a networkx graph) and, where it is trainable, build a torch module from it.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Hashable, Iterator, Mapping, Sequence

import numpy as np

Arch = Hashable


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

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
