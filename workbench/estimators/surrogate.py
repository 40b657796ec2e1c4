"""Surrogate estimator: NAS-Bench-301's performance predictor for the DARTS space, as YAHPO Gym's ONNX model.

NAS-Bench-301 (Siems et al. 2020) fitted surrogates to ~60k trained DARTS-space networks; YAHPO Gym
(Pfisterer et al. 2022, slds-lmu/yahpo_data ``nb301/``, Apache-2.0) distilled one into a small ONNX network
that runs with onnxruntime. Its inputs (``yahpo_gym/benchmarks/nb301.py`` and ``benchmark_set.py``):
``x_cat`` (int32, 34 columns) and ``x_cont`` (float32, the epoch 1..98). The categorical columns are NB301's
configuration: per cell (normal, then reduce) the op on each of the 14 possible edges (``edge_{cell}_{i}``,
edge i = the i-th (input, node) pair: node 2 has edges 0-1, node 3 edges 2-4, node 4 edges 5-8, node 5
edges 9-13), then per cell which two inputs nodes 3, 4, 5 read (``inputs_node_{cell}_{n}``, e.g. ``"0_2"``);
each value is integer-coded by ``encoding_v2.json``, and an unused edge is ``"#na#"`` (0). Outputs, in
order: validation accuracy (0-1), validation cross-entropy, runtime in seconds, and a fourth column that
is not documented (not reported here).

The model file is taken from the ``model`` option, else the ``WORKBENCH_NB301_MODEL`` environment variable,
else ``<workbench cache>/nb301/model_v2.onnx``; ``encoding_v2.json`` (or ``encoding.json``) must sit beside it.
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from workbench.errors import DataError
from workbench.estimators import register
from workbench.estimators._base import Estimator, Result
from workbench.settings import NB301_MODEL_ENV

ENV_VAR = NB301_MODEL_ENV
MAX_EPOCH = 98
_PREFIX = "NetworkSelectorDatasetInfo_COLON_darts_COLON_"
#: YAHPO Gym's ``cat_names`` for nb301, in the order of the model's ``x_cat`` columns
CAT_NAMES: tuple[str, ...] = (
    tuple(f"{_PREFIX}edge_normal_{i}" for i in range(14))
    + tuple(f"{_PREFIX}edge_reduce_{i}" for i in range(14))
    + tuple(f"{_PREFIX}inputs_node_normal_{n}" for n in (3, 4, 5))
    + tuple(f"{_PREFIX}inputs_node_reduce_{n}" for n in (3, 4, 5))
)
_HOW_TO_GET = ("get model_v2.onnx and encoding_v2.json from the nb301/ folder of https://github.com/slds-lmu/yahpo_data "
               f"(branch v2_final) and pass model=PATH or set {ENV_VAR}")


def nb301_config(genotype: Any) -> dict[str, str]:
    """NB301's configuration (YAHPO's names, without the unused edges) of a validated DARTS genotype."""
    from workbench.spaces.darts import CELL_TYPES, STEPS, edge_index

    config: dict[str, str] = {}
    for cell in CELL_TYPES:
        pairs = getattr(genotype, cell)
        for node in range(STEPS):
            node_pairs = pairs[2 * node: 2 * node + 2]
            for op, src in node_pairs:
                config[f"{_PREFIX}edge_{cell}_{edge_index(node, src)}"] = op
            if node > 0:
                config[f"{_PREFIX}inputs_node_{cell}_{node + 2}"] = "_".join(str(s) for s in sorted(s for _, s in node_pairs))
    return config


def default_model_path() -> Path:
    from workbench.settings import cache_dir

    return cache_dir() / "nb301" / "model_v2.onnx"


@register("surrogate")
class SurrogateEstimator(Estimator):
    """NB301's surrogate (YAHPO Gym ONNX): CIFAR-10 validation accuracy of a DARTS genotype after ``epoch``
    epochs (1..98); ``cost_s`` is the predicted training runtime. ``threads`` caps onnxruntime's threads."""

    name = "surrogate"
    charges_sim_time = True  # cost_s is the predicted training runtime
    spaces = ("darts",)

    def __init__(self, *, space, model: str | os.PathLike | None = None, epoch: int = MAX_EPOCH,
                 threads: int = 1) -> None:
        self.check_space(space)
        if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or not 1 <= int(epoch) <= MAX_EPOCH:
            raise ValueError(f"epoch must be an integer in 1..{MAX_EPOCH} (NB301's training budget), got {epoch!r}")
        self.space = space
        self.model = model
        self.epoch = int(epoch)
        self.threads = int(threads)
        self.model_path = self._resolve(model)
        self.encoding = self._read_encoding(self.model_path)
        self._session = None
        self._lock = threading.Lock()

    # --- files -------------------------------------------------------------------------------------
    @staticmethod
    def _resolve(model: str | os.PathLike | None) -> Path:
        if model is not None:
            path, origin = Path(model), "the model option"
        elif os.environ.get(ENV_VAR):
            path, origin = Path(os.environ[ENV_VAR]), f"{ENV_VAR}"
        else:
            path, origin = default_model_path(), "the workbench cache"
        if not path.is_file():
            raise DataError(f"the NB301 surrogate model is missing: {path} (from {origin}) is not a file; {_HOW_TO_GET}")
        return path

    @staticmethod
    def _read_encoding(model_path: Path) -> dict[str, dict[str, int]]:
        for name in ("encoding_v2.json", "encoding.json"):
            candidate = model_path.parent / name
            if candidate.is_file():
                try:
                    encoding = json.loads(candidate.read_text())
                except ValueError as exc:
                    raise DataError(f"{candidate} is not valid JSON: {exc}") from None
                missing = [n for n in CAT_NAMES if n not in encoding]
                if missing:
                    raise DataError(f"{candidate} is not YAHPO's NB301 encoding: it lacks {missing[0]!r} "
                                    f"(and {len(missing) - 1} more)")
                return encoding
        raise DataError(f"no encoding_v2.json beside {model_path}; {_HOW_TO_GET}")

    def _get_session(self):
        with self._lock:
            if self._session is None:
                import onnxruntime as ort

                options = ort.SessionOptions()
                options.intra_op_num_threads = self.threads
                options.inter_op_num_threads = self.threads
                try:
                    self._session = ort.InferenceSession(str(self.model_path), sess_options=options,
                                                         providers=["CPUExecutionProvider"])
                except Exception as exc:  # onnxruntime raises its own exception types
                    raise DataError(f"{self.model_path} is not a loadable ONNX model: {exc}") from None
            return self._session

    # --- encoding ----------------------------------------------------------------------------------
    def encode(self, arch: Any) -> np.ndarray:
        """The model's ``x_cat`` row (int32, 34 columns) for ``arch`` (validated by the DARTS space)."""
        config = nb301_config(self.space.validate(arch))
        row = []
        for name in CAT_NAMES:
            value = config.get(name, "#na#")
            try:
                row.append(self.encoding[name][value])
            except KeyError:
                raise DataError(f"the NB301 encoding has no code for {value!r} in {name!r}; codes: "
                                f"{sorted(self.encoding[name])}") from None
        return np.asarray(row, dtype=np.int32)

    def predict(self, archs: Sequence[Any], epoch: int | None = None) -> np.ndarray:
        """Raw model outputs, shape (len(archs), 4): val accuracy (0-1), val cross-entropy, runtime (s), ?"""
        epoch = self.epoch if epoch is None else int(epoch)
        if not 1 <= epoch <= MAX_EPOCH:
            raise ValueError(f"epoch must be in 1..{MAX_EPOCH}, got {epoch}")
        x_cat = np.stack([self.encode(a) for a in archs]) if len(archs) else np.zeros((0, len(CAT_NAMES)), np.int32)
        x_cont = np.full((len(x_cat), 1), float(epoch), dtype=np.float32)
        session = self._get_session()
        names = [i.name for i in session.get_inputs()]
        return np.asarray(session.run(None, {names[0]: x_cat, names[1]: x_cont})[0], dtype=np.float64)

    # --- estimator ---------------------------------------------------------------------------------
    def _result(self, out: np.ndarray, epoch: int) -> Result:
        val_acc = float(out[0]) * 100.0
        metrics = {"val_acc": val_acc, "val_loss": float(out[1]), "runtime_s": float(out[2])}
        return Result(objective=val_acc, metrics=metrics, cost_s=max(float(out[2]), 0.0), fidelity=epoch)

    def evaluate(self, arch: Any) -> Result:
        """``val_acc`` in % (the objective), ``val_loss``, ``runtime_s`` (also charged as ``cost_s``)."""
        return self._result(self.predict([arch])[0], self.epoch)

    def evaluate_many(self, archs: Iterable[Any], epoch: int | None = None) -> list[Result]:
        """Evaluate many genotypes in one model call (much faster than one by one)."""
        archs = list(archs)
        epoch = self.epoch if epoch is None else int(epoch)
        return [self._result(row, epoch) for row in self.predict(archs, epoch)]

    def options(self) -> dict[str, Any]:
        return {"model": str(self.model_path), "epoch": self.epoch, "threads": self.threads}
