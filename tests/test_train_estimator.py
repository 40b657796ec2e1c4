"""Real training from scratch on real data (scikit-learn digits, Fashion-MNIST IDX files)."""
from __future__ import annotations

import gzip

import numpy as np
import pytest

from workbench import DataError, data, estimators

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
SMALL = {"channels": 8, "cells_per_stage": 1}


@pytest.mark.slow
def test_digits_training_reaches_a_sensible_accuracy(nb201):
    est = estimators.create("train", space=nb201, dataset="digits", epochs=4, build=SMALL, device="cpu", seed=0)
    result = est.evaluate(BEST)
    # a 10-class problem: chance is 10%; a small NB201 network learns digits to well above 90%
    assert result.metrics["val_acc"] > 90 and result.metrics["test_acc"] > 90
    assert result.metrics["params"] > 1000 and result.cost_s > 0 and result.fidelity == 4


def test_training_is_deterministic_for_a_seed(nb201):
    def run(seed):
        est = estimators.create("train", space=nb201, dataset="digits", epochs=1, build=SMALL, device="cpu",
                                seed=seed, data={"limit": 400})
        return est.evaluate(BEST).metrics

    a, b, c = run(1), run(1), run(2)
    assert a["val_acc"] == b["val_acc"] and a["train_loss"] == b["train_loss"]
    assert a["train_loss"] != c["train_loss"]


def test_a_cell_of_zeros_learns_nothing(nb201):
    # every edge "none": the cells output zeros, so the classifier only sees a constant: chance accuracy
    est = estimators.create("train", space=nb201, dataset="digits", epochs=2, build=SMALL, device="cpu")
    dead = est.evaluate("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|")
    assert dead.metrics["val_acc"] < 25


def test_digits_splits_are_fixed_and_disjoint():
    s = data.load("digits")
    assert s.num_classes == 10 and s.in_channels == 1 and s.image_size == (8, 8)
    assert len(s.y_train) + len(s.y_val) + len(s.y_test) == 1797
    again = data.load("digits", split_seed=0)
    assert np.array_equal(s.y_val, again.y_val)
    assert abs(float(s.x_train.mean())) < 1e-4  # normalised on the training split


@pytest.mark.slow
def test_fashion_mnist_from_idx_files(fashion_mnist_dir):
    s = data.load("fashion-mnist", root=fashion_mnist_dir, limit=1000, download=False)
    assert s.x_train.shape == (1000, 1, 28, 28) and s.num_classes == 10
    assert len(s.y_test) == 250 and set(np.unique(s.y_train)) == set(range(10))


def test_truncated_idx_file_is_a_clear_error(tmp_path):
    from workbench.data._loaders import read_idx

    header = bytes([0, 0, 8, 3]) + (10).to_bytes(4, "big") + (28).to_bytes(4, "big") + (28).to_bytes(4, "big")
    path = tmp_path / "train-images-idx3-ubyte.gz"
    with gzip.open(path, "wb") as f:
        f.write(header + bytes(100))
    with pytest.raises(DataError, match="header promises 7840"):
        read_idx(path)
    path.write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="cannot read IDX file"):
        read_idx(path)


def test_missing_dataset_names_the_accepted_ones():
    with pytest.raises(DataError, match="accepted: cifar10, cifar100, digits, fashion-mnist, mnist"):
        data.load("imagenet")
    with pytest.raises(DataError, match="IDX files not found"):
        data.load("mnist", root="/nonexistent", download=False)


def test_options_are_checked(nb201):
    with pytest.raises(ValueError, match="epochs"):
        estimators.create("train", space=nb201, epochs=0)
    est = estimators.create("train", space=nb201, optimizer="rmsprop", epochs=1, build=SMALL, data={"limit": 50})
    with pytest.raises(ValueError, match="accepted: sgd, adam, adamw"):
        est.evaluate(BEST)
