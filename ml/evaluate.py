"""Evaluation step (SageMaker Processing in the built-in XGBoost 1.7-1 image, which also has
pandas and scikit-learn; the SKLearn image has no xgboost).

Loads the model the built-in XGBoost 1.7-1 algorithm wrote (`xgboost-model` inside
model.tar.gz), scores the held-out test set (headerless, label first) and writes
`evaluation.json`: a flat `metrics` map for the quality gate plus the SageMaker model-quality
layout (`<problem>_metrics` → {name: {value, standard_deviation}}) for the Model Registry.
"""
import argparse
import glob
import hashlib
import json
import math
import os
import tarfile
import tempfile

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from job_io import PROCESSING_ROOT, main

BASE = PROCESSING_ROOT
CHUNK_ROWS = int(os.environ.get("MLOPS_EVALUATE_CHUNK_ROWS", 50_000))
SECTION = {
    "binary_classification": "binary_classification_metrics",
    "multiclass_classification": "multiclass_classification_metrics",
    "regression": "regression_metrics",
}


class EvaluationError(Exception):
    """The model or test data cannot be evaluated; the message says why."""


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--config", required=True)
    p.add_argument("--model-dir", default=f"{BASE}/input/model")
    p.add_argument("--test-dir", default=f"{BASE}/input/test")
    p.add_argument("--output-dir", default=f"{BASE}/output/evaluation")
    return p.parse_args(argv)


def find_archive(model_dir):
    archives = glob.glob(os.path.join(model_dir, "**", "model.tar.gz"), recursive=True)
    if not archives:
        raise EvaluationError(f"no model.tar.gz under {model_dir}")
    return archives[0]


def sha256_of(path):
    """The artifact's identity: the model registry records it, and a promotion to another stage checks its copy against it."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_booster(archive):
    import xgboost as xgb  # imported here so the module imports without xgboost for --help

    workdir = tempfile.mkdtemp()
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            if not (member.isfile() or member.isdir()) or os.path.isabs(member.name) or ".." in member.name.split("/"):
                raise EvaluationError(f"unsafe entry in model.tar.gz: {member.name}")
        tar.extractall(workdir)
    path = os.path.join(workdir, "xgboost-model")
    if not os.path.exists(path):
        raise EvaluationError(f"model.tar.gz has no xgboost-model (it has: {sorted(os.listdir(workdir))})")
    booster = xgb.Booster()
    try:
        booster.load_model(path)  # what the 1.7-1 algorithm writes (Booster.save_model)
    except xgb.core.XGBoostError as e:
        # Algorithm versions before 1.3-1 pickled the Booster. Unpickling runs code that the file
        # chooses, so write access to the artifacts would become code execution here: refused.
        raise EvaluationError(
            "xgboost-model is not an XGBoost model file (Booster.save_model, as the built-in algorithm 1.3-1 and later write it); "
            f"pickled models are not loaded, since unpickling runs code: {str(e).splitlines()[0][:200]}"
        ) from e
    return booster


def predict_test(test_dir, booster):
    """Labels and predictions of every test row, scored CHUNK_ROWS at a time: memory holds one chunk
    of features plus two numbers a row, whatever the size of the test set."""
    import xgboost as xgb

    files = sorted(f for f in glob.glob(os.path.join(test_dir, "**", "*.csv"), recursive=True))
    if not files:
        raise EvaluationError(f"no test CSV under {test_dir}")
    ys, preds = [], []
    for f in files:
        if os.path.getsize(f) == 0:  # an instance whose share held no test row
            continue
        for chunk in pd.read_csv(f, header=None, chunksize=CHUNK_ROWS):
            ys.append(chunk.iloc[:, 0].to_numpy())
            preds.append(booster.predict(xgb.DMatrix(chunk.iloc[:, 1:].to_numpy(dtype=float))))
    if not ys:
        raise EvaluationError(f"the test CSVs under {test_dir} hold no row")
    return np.concatenate(ys), np.concatenate(preds)


def compute_metrics(problem, y, pred):
    if problem == "binary_classification":
        p = np.clip(pred.reshape(-1), 1e-15, 1 - 1e-15)
        labels = (p >= 0.5).astype(int)
        return {
            "auc": float(skm.roc_auc_score(y, p)) if len(set(y)) > 1 else float("nan"),
            "accuracy": float(skm.accuracy_score(y, labels)),
            "f1": float(skm.f1_score(y, labels, zero_division=0)),
            "precision": float(skm.precision_score(y, labels, zero_division=0)),
            "recall": float(skm.recall_score(y, labels, zero_division=0)),
            "logloss": float(skm.log_loss(y, p, labels=[0, 1])),
        }
    if problem == "multiclass_classification":
        probs = pred if pred.ndim == 2 else None
        labels = probs.argmax(axis=1) if probs is not None else pred.astype(int)
        out = {
            "accuracy": float(skm.accuracy_score(y, labels)),
            "weighted_f1": float(skm.f1_score(y, labels, average="weighted", zero_division=0)),
        }
        if probs is not None:
            out["logloss"] = float(skm.log_loss(y, probs, labels=list(range(probs.shape[1]))))
        return out
    return {
        "rmse": float(math.sqrt(skm.mean_squared_error(y, pred))),
        "mae": float(skm.mean_absolute_error(y, pred)),
        "r2": float(skm.r2_score(y, pred)),
    }


def run(argv):
    args = parse_args(argv)
    with open(args.config, encoding="utf-8") as f:
        spec = json.load(f)
    archive = find_archive(args.model_dir)
    booster = load_booster(archive)
    y, pred = predict_test(args.test_dir, booster)
    metrics = compute_metrics(spec["problemType"], y, pred)
    finite = {k: v for k, v in metrics.items() if math.isfinite(v)}
    report = {
        "metrics": finite,
        SECTION[spec["problemType"]]: {k: {"value": v, "standard_deviation": "NaN"} for k, v in finite.items()},
        "rows": int(len(y)),
        "gate": spec.get("evaluation"),
        "model": {"sha256": sha256_of(archive), "bytes": os.path.getsize(archive)},
    }
    os.makedirs(args.output_dir, exist_ok=True)
    with open(os.path.join(args.output_dir, "evaluation.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
    print(json.dumps({"evaluation": finite, "rows": report["rows"]}))
    return report


if __name__ == "__main__":
    main(run, EvaluationError)
