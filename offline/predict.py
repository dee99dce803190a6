"""Simulator stand-in for a SageMaker endpoint's XGBoost container: loads `xgboost-model` from
model.tar.gz and prints one prediction per CSV feature row read from stdin.

usage: predict.py MODEL_TAR_GZ < rows.csv
"""
import io
import pickle  # the simulator's own models only
import sys
import tarfile
import tempfile

import numpy as np
import xgboost as xgb


def load(path):
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(path) as tar:
            tar.extract("xgboost-model", tmp)
        bst = xgb.Booster()
        try:
            bst.load_model(f"{tmp}/xgboost-model")
        except xgb.core.XGBoostError:
            with open(f"{tmp}/xgboost-model", "rb") as f:
                bst = pickle.load(f)
    return bst


def main(model_path):
    rows = np.loadtxt(io.StringIO(sys.stdin.read()), delimiter=",", ndmin=2)
    for p in load(model_path).predict(xgb.DMatrix(rows)):
        print(" ".join(f"{x:.6f}" for x in np.atleast_1d(p)).replace(" ", ","))


if __name__ == "__main__":
    main(sys.argv[1])
