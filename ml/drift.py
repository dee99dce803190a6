"""Drift check (SageMaker Processing, SKLearn 1.2-1 image).

Compares the feature distributions of the requests the endpoint's production variant received
(SageMaker data capture, JSON lines) with the baseline the training run kept (preprocess.py's
`baseline/baseline.csv`, features with a header). Per feature it computes the Population
Stability Index over ten baseline-quantile bins (missing values are a bin of their own) and
writes `drift.json`: PSI per feature, the features beyond the threshold, and their count, which
the monitoring workflow publishes as the CloudWatch metric MLOps/DriftedFeatures.
"""
import argparse
import base64
import glob
import json
import math
import os

import numpy as np
import pandas as pd

from job_io import PROCESSING_ROOT, Sample, main

BASE = PROCESSING_ROOT
BINS = 10
EPSILON = 1e-4
# Rows of each side the PSI is computed on: a uniform sample beyond this (ten quantile bins need far fewer).
MAX_ROWS = int(os.environ.get("MLOPS_DRIFT_MAX_ROWS", 200_000))
CHUNK_ROWS = 50_000


class DriftError(Exception):
    """The inputs cannot be compared; the message says why."""


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--config", required=True)
    p.add_argument("--baseline-dir", default=f"{BASE}/input/baseline")
    p.add_argument("--capture-dir", default=f"{BASE}/input/capture")
    p.add_argument("--output-dir", default=f"{BASE}/output/drift")
    return p.parse_args(argv)


def captured_rows(capture_dir, n_features):
    """Feature rows of the captured requests (a request body may hold several CSV lines): all of
    them, or a uniform sample of MAX_ROWS, and how many rows were skipped as malformed."""
    sample, rows, skipped = Sample(MAX_ROWS, n_features), [], 0
    for path in sorted(glob.glob(os.path.join(capture_dir, "**", "*.jsonl"), recursive=True)):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                try:
                    payload = json.loads(line)["captureData"]["endpointInput"]
                    data = payload["data"]
                    if payload.get("encoding") == "BASE64":
                        data = base64.b64decode(data).decode("utf-8")
                except (ValueError, KeyError, TypeError):
                    skipped += 1
                    continue
                for row in data.strip().splitlines():
                    cells = row.split(",")
                    if len(cells) != n_features:
                        skipped += 1
                        continue
                    try:
                        rows.append([float(c) if c.strip() != "" else math.nan for c in cells])
                    except ValueError:
                        skipped += 1
                    if len(rows) >= CHUNK_ROWS:
                        sample.add(rows)
                        rows = []
    sample.add(rows)
    return sample, skipped


def psi(baseline, current):
    """Population Stability Index of one feature: quantile bins of the baseline, NaN as its own bin."""
    b, c = baseline[~np.isnan(baseline)], current[~np.isnan(current)]
    edges = np.unique(np.quantile(b, np.linspace(0, 1, BINS + 1))) if len(b) else np.array([0.0])
    inner = edges[1:-1]

    def shares(x, total):
        counts = np.bincount(np.searchsorted(inner, x, side="right"), minlength=len(inner) + 1).astype(float)
        counts = np.append(counts, total - len(x))  # missing values
        return np.clip(counts / max(total, 1), EPSILON, None)

    if len(inner) == 0:  # a constant baseline: compare "equal to it" with "not"
        value = edges[0]
        pb = np.clip(np.array([np.sum(b == value), np.sum(b != value), len(baseline) - len(b)]) / len(baseline), EPSILON, None)
        pc = np.clip(np.array([np.sum(c == value), np.sum(c != value), len(current) - len(c)]) / max(len(current), 1), EPSILON, None)
    else:
        pb, pc = shares(b, len(baseline)), shares(c, len(current))
    return float(np.sum((pc - pb) * np.log(pc / pb)))


def run(argv):
    args = parse_args(argv)
    with open(args.config, encoding="utf-8") as f:
        spec = json.load(f)
    features = [c for c in spec["columns"] if c != spec["label"]]
    drift = spec.get("drift", {})
    threshold, min_rows = float(drift.get("psiThreshold", 0.2)), int(drift.get("minRows", 100))

    baseline_path = os.path.join(args.baseline_dir, "baseline.csv")
    if not os.path.exists(baseline_path):
        raise DriftError(f"no baseline at {baseline_path}: the live model's training run kept none")
    # baseline.csv, and with several preprocessing instances baseline-<host>.csv beside it.
    paths = sorted(glob.glob(os.path.join(args.baseline_dir, "baseline*.csv")))
    missing = [f for f in features if f not in pd.read_csv(baseline_path, nrows=0).columns]
    if missing:
        raise DriftError(f"the baseline lacks features {', '.join(missing)}: it belongs to another schema")
    # Baselines of earlier runs hold every training row: read in chunks into a bounded sample.
    baseline = Sample(MAX_ROWS, len(features), seed=1)
    for path in paths:
        for chunk in pd.read_csv(path, usecols=features, chunksize=CHUNK_ROWS):
            baseline.add(chunk[features].to_numpy(dtype=float))

    captured, skipped = captured_rows(args.capture_dir, len(features))
    report = {
        "rows": captured.seen,
        "skippedRows": skipped,
        "baselineRows": baseline.seen,
        "sampledRows": {"captured": len(captured.rows), "baseline": len(baseline.rows)},
        "psiThreshold": threshold,
        "minRows": min_rows,
    }
    if captured.seen < min_rows:
        report.update({"status": "insufficient-data", "features": {}, "drifted": [], "driftedFeatures": None})
    else:
        current = captured.rows
        scores = {f: round(psi(baseline.rows[:, i], current[:, i]), 6) for i, f in enumerate(features)}
        drifted = sorted((f for f, s in scores.items() if s > threshold), key=lambda f: -scores[f])
        report.update({"status": "ok", "features": {f: {"psi": s} for f, s in scores.items()}, "drifted": drifted, "driftedFeatures": len(drifted)})

    os.makedirs(args.output_dir, exist_ok=True)
    with open(os.path.join(args.output_dir, "drift.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
    print(json.dumps({"drift": {k: report[k] for k in ("status", "rows", "driftedFeatures", "drifted")}}))
    return report


if __name__ == "__main__":
    main(run, DriftError)
