"""Test helper: trains on preprocess.py's output the way the built-in XGBoost 1.7-1 algorithm
does (headerless label-first CSV channels `train` and `validation`, string hyperparameters)
and packs `xgboost-model` into model.tar.gz, saved with Booster.save_model as 1.7-1 does, or
pickled as earlier algorithm versions did (--pickle).

usage: train_like_builtin.py DATA_DIR HYPERPARAMETERS_JSON OUT_DIR [--pickle]
"""
import glob
import json
import os
import pickle
import sys
import tarfile

import pandas as pd
import xgboost as xgb

INT_PARAMS = {"num_round", "max_depth", "early_stopping_rounds", "num_class"}


def channel(path):
    df = pd.concat([pd.read_csv(f, header=None) for f in sorted(glob.glob(os.path.join(path, "*.csv")))], ignore_index=True)
    return xgb.DMatrix(df.iloc[:, 1:].to_numpy(dtype=float), label=df.iloc[:, 0].to_numpy())


def main(data_dir, hyperparameters, out_dir, use_pickle):
    hp = {k: (int(v) if k in INT_PARAMS else v) for k, v in json.loads(hyperparameters).items()}
    rounds = hp.pop("num_round")
    early = hp.pop("early_stopping_rounds", None)
    train, validation = channel(os.path.join(data_dir, "train")), channel(os.path.join(data_dir, "validation"))
    bst = xgb.train(hp, train, num_boost_round=rounds, evals=[(train, "train"), (validation, "validation")], early_stopping_rounds=early, verbose_eval=False)
    os.makedirs(out_dir, exist_ok=True)
    model = os.path.join(out_dir, "xgboost-model")
    if use_pickle:
        with open(model, "wb") as f:
            pickle.dump(bst, f)
    else:
        bst.save_model(model)
    with tarfile.open(os.path.join(out_dir, "model.tar.gz"), "w:gz") as tar:
        tar.add(model, arcname="xgboost-model")
    os.remove(model)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], "--pickle" in sys.argv[4:])
