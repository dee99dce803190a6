"""Preprocessing step (SageMaker Processing, SKLearn 1.2-1 container).

Reads every CSV of the dataset, checks it against the pipeline's schema, cleans it and splits it
into train / validation / test sets written as headerless, label-first CSV (the built-in XGBoost
format). Also writes a feature-only baseline CSV with header, the reference ml/drift.py compares captured traffic with.

Exit status 1 with a one-line reason on stderr when the data cannot be used.
"""
import argparse
import glob
import json
import os

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from job_io import PROCESSING_ROOT, main

BASE = PROCESSING_ROOT
SEED = 42


class DataError(Exception):
    """The data does not fit the pipeline's schema; the message says how."""


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--config", required=True, help="pipeline.json written by the platform")
    p.add_argument("--input-dir", default=f"{BASE}/input/data")
    p.add_argument("--output-dir", default=f"{BASE}/output")
    return p.parse_args(argv)


def header_problems(header, columns):
    """Short enough for the 1 KB ExitMessage: what is missing, extra, or out of order."""
    missing = [c for c in columns if c not in header]
    unexpected = [h for h in header if h not in columns]
    problems = []
    if missing:
        problems.append(f"missing columns: {', '.join(missing)}")
    if unexpected:
        problems.append(f"unexpected columns: {', '.join(unexpected)}")
    if not problems and header != columns:
        first = next(i for i, (h, c) in enumerate(zip(header, columns)) if h != c)
        problems.append(f"columns are not in the configured order: column {first + 1} is {header[first]}, expected {columns[first]}")
    return problems


def read_dataset(input_dir, columns):
    files = sorted(f for f in glob.glob(os.path.join(input_dir, "**", "*"), recursive=True) if os.path.isfile(f))
    csvs = [f for f in files if f.lower().endswith(".csv")]
    if not csvs:
        raise DataError(f"no .csv files under {input_dir}")
    frames = []
    for f in csvs:
        df = pd.read_csv(f, skipinitialspace=True)
        header = [str(c).strip() for c in df.columns]
        problems = header_problems(header, list(columns))
        if problems:
            raise DataError(f"{os.path.relpath(f, input_dir)}: {'; '.join(problems)}")
        df.columns = header
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def clean(df, spec):
    label = spec["label"]
    features = [c for c in spec["columns"] if c != label]
    before = len(df)
    df = df.dropna(subset=[label]).drop_duplicates()
    for col in features:
        values = pd.to_numeric(df[col], errors="coerce")
        bad = df[col][values.isna() & df[col].notna()]
        if len(bad) > 0:
            raise DataError(f"column {col} must be numeric; found {len(bad)} non-numeric values such as {bad.astype(str).iloc[0]!r}")
        df[col] = values
    y = pd.to_numeric(df[label], errors="coerce")
    if y.isna().any():
        raise DataError(f"label {label} must be numeric; found {int(y.isna().sum())} non-numeric values")
    problem = spec["problemType"]
    if problem == "binary_classification" and not set(y.unique()) <= {0, 1}:
        raise DataError(f"label {label} must be 0 or 1 for binary_classification; found {sorted(set(y.unique()))[:5]}")
    if problem == "multiclass_classification":
        n = spec["numClasses"]
        if not (y.between(0, n - 1) & (y == y.round())).all():
            raise DataError(f"label {label} must be an integer from 0 to {n - 1} for multiclass_classification")
    df[label] = y.astype(int) if problem != "regression" else y.astype(float)
    return df[[label] + features], {"rowsRead": before, "rowsKept": len(df), "rowsDropped": before - len(df)}


def split(df, spec):
    label = spec["label"]
    stratify = df[label] if spec["problemType"] != "regression" else None
    holdout = spec["validationFraction"] + spec["testFraction"]
    try:
        train, rest = train_test_split(df, test_size=holdout, random_state=SEED, stratify=stratify)
        strat_rest = rest[label] if stratify is not None else None
        validation, test = train_test_split(rest, test_size=spec["testFraction"] / holdout, random_state=SEED, stratify=strat_rest)
    except ValueError as e:  # too few rows of a class to stratify
        raise DataError(f"cannot split the data: {e}") from e
    return train, validation, test


def write_csv(df, path, header=False):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    df.to_csv(path, header=header, index=False)


def run(argv):
    args = parse_args(argv)
    with open(args.config, encoding="utf-8") as f:
        spec = json.load(f)
    df, stats = clean(read_dataset(args.input_dir, spec["columns"]), spec)
    if len(df) < 10:
        raise DataError(f"only {len(df)} usable rows after cleaning")
    train, validation, test = split(df, spec)
    out = args.output_dir
    shards = max(1, int(spec.get("trainShards", 1)))
    for i, part in enumerate(np.array_split(train, shards)):
        write_csv(part, os.path.join(out, "train", f"part-{i:04d}.csv"))
    write_csv(validation, os.path.join(out, "validation", "validation.csv"))
    write_csv(test, os.path.join(out, "test", "test.csv"))
    write_csv(df.drop(columns=[spec["label"]]), os.path.join(out, "baseline", "baseline.csv"), header=True)
    summary = {**stats, "train": len(train), "validation": len(validation), "test": len(test), "trainShards": shards}
    with open(os.path.join(out, "baseline", "preprocess_summary.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps({"preprocess": summary}))
    return summary


if __name__ == "__main__":
    main(run, DataError)
