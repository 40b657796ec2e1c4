"""Readers of each data set into ``Splits``."""
from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any, Callable

import numpy as np

from workbench.data._splits import Splits, split_arrays
from workbench.errors import DataError
from workbench.settings import DATASET_ENVS as ENV_VARS
from workbench.settings import cache_dir

FASHION_FILES = {
    "x_train": "train-images-idx3-ubyte", "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte", "y_test": "t10k-labels-idx1-ubyte",
}
# where Debian's dataset-fashion-mnist package puts the IDX files
SYSTEM_FOLDERS = {"fashion-mnist": ["/usr/share/datasets/fashion-mnist"], "mnist": ["/usr/share/datasets/mnist"]}
TORCHVISION_FOLDERS = {"fashion-mnist": "FashionMNIST", "mnist": "MNIST"}


def data_root() -> Path:
    return cache_dir() / "datasets"


def read_idx(path: Path) -> np.ndarray:
    """Read one IDX file (optionally gzipped): the format of MNIST and Fashion-MNIST."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as exc:
        raise DataError(f"cannot read IDX file {path}: {exc} (truncated or not gzip?)") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(f"{path} is not an unsigned-byte IDX file (bad magic {raw[:4].hex()})")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    expected = int(np.prod(dims))
    if len(raw) - offset != expected:
        raise DataError(f"{path} holds {len(raw) - offset} bytes of data, its header promises {expected} (truncated?)")
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(dims)


def _idx_folder(name: str, root: str | os.PathLike | None) -> Path | None:
    candidates: list[Path] = []
    if root is not None:
        candidates += [Path(root), Path(root) / TORCHVISION_FOLDERS[name] / "raw"]
    if os.environ.get(ENV_VARS[name]):
        candidates.append(Path(os.environ[ENV_VARS[name]]))
    candidates += [Path(p) for p in SYSTEM_FOLDERS[name]]
    candidates.append(data_root() / TORCHVISION_FOLDERS[name] / "raw")
    for folder in candidates:
        if all(_find_file(folder, stem) for stem in FASHION_FILES.values()):
            return folder
    return None


def _find_file(folder: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    return None


def _load_idx_dataset(name: str, root=None, download: bool = True) -> tuple[np.ndarray, ...]:
    folder = _idx_folder(name, root)
    if folder is None:
        if not download:
            raise DataError(
                f"{name} IDX files not found (looked in {root or '-'}, ${ENV_VARS[name]}, "
                f"{', '.join(SYSTEM_FOLDERS[name])}, {data_root()}); install Debian's dataset-{name} package "
                f"or allow download=True"
            )
        import torchvision

        cls = torchvision.datasets.FashionMNIST if name == "fashion-mnist" else torchvision.datasets.MNIST
        cls(str(data_root()), train=True, download=True)
        cls(str(data_root()), train=False, download=True)
        folder = data_root() / TORCHVISION_FOLDERS[name] / "raw"
    arrays = {k: read_idx(_find_file(folder, stem)) for k, stem in FASHION_FILES.items()}
    x_train = arrays["x_train"][:, None].astype(np.float32) / 255.0
    x_test = arrays["x_test"][:, None].astype(np.float32) / 255.0
    return x_train, arrays["y_train"].astype(np.int64), x_test, arrays["y_test"].astype(np.int64)


def load_digits_splits(*, val_fraction=0.2, test_fraction=0.2, split_seed=0, limit=None, **_) -> Splits:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = (bunch.images[:, None].astype(np.float32)) / 16.0
    return split_arrays("digits", x, bunch.target.astype(np.int64), None, None, val_fraction=val_fraction,
                        test_fraction=test_fraction, split_seed=split_seed, limit=limit, num_classes=10)


def _idx_splits(name: str):
    def loader(*, root=None, download=True, val_fraction=1 / 6, split_seed=0, limit=None, **_) -> Splits:
        x, y, x_test, y_test = _load_idx_dataset(name, root, download)
        return split_arrays(name, x, y, x_test, y_test, val_fraction=val_fraction, test_fraction=0.0,
                            split_seed=split_seed, limit=limit, num_classes=10)

    return loader


def _cifar_splits(name: str):
    def loader(*, root=None, download=True, val_fraction=0.5 / 5, split_seed=0, limit=None, **_) -> Splits:
        import torchvision

        cls = torchvision.datasets.CIFAR10 if name == "cifar10" else torchvision.datasets.CIFAR100
        folder = str(root or data_root())
        try:
            train, test = cls(folder, train=True, download=download), cls(folder, train=False, download=download)
        except RuntimeError as exc:
            raise DataError(f"{name} not found in {folder}: {exc}") from None
        x = train.data.transpose(0, 3, 1, 2).astype(np.float32) / 255.0
        x_test = test.data.transpose(0, 3, 1, 2).astype(np.float32) / 255.0
        classes = 10 if name == "cifar10" else 100
        return split_arrays(name, x, np.array(train.targets), x_test, np.array(test.targets), val_fraction=val_fraction,
                            test_fraction=0.0, split_seed=split_seed, limit=limit, num_classes=classes)

    return loader


LOADERS: dict[str, Callable[..., Splits]] = {
    "digits": load_digits_splits,
    "fashion-mnist": _idx_splits("fashion-mnist"),
    "mnist": _idx_splits("mnist"),
    "cifar10": _cifar_splits("cifar10"),
    "cifar100": _cifar_splits("cifar100"),
}

_memo: dict[tuple, Splits] = {}


def load(name: str, **options: Any) -> Splits:
    """Load data set ``name`` (see ``names()``); results are cached per process and options."""
    if name not in LOADERS:
        raise DataError(f"unknown data set {name!r}; accepted: {', '.join(sorted(LOADERS))}")
    key = (name, tuple(sorted((k, str(v)) for k, v in options.items())))
    if key not in _memo:
        _memo[key] = LOADERS[name](**options)
    return _memo[key]
