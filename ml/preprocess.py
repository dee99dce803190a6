"""Preprocessing step (SageMaker Processing, SKLearn 1.2-1 container).

Reads every CSV of the dataset, checks it against the pipeline's schema, cleans it and splits it
into train / validation / test sets written as headerless, label-first CSV (the built-in XGBoost
format). Also writes a feature-only baseline CSV with header (a sample of about BASELINE_ROWS
rows), the reference ml/drift.py compares captured traffic with.

Memory does not grow with the dataset: CSVs are read in chunks; rows are spread over hash
partitions on the job's volume (pass 1), then each partition is deduplicated and each row goes to
train, validation or test by a stable hash of its values (pass 2). The split is deterministic and
needs no global shuffle; duplicates always land together, so none straddles train and test.
Stratification is approximate (each class splits in the configured fractions on average).

With more than one instance (SageMaker's ShardedByS3Key gives each a share of the files), each
writes its own files, named after its host, and its share of the baseline sample; an instance
whose share is empty writes empty files.

Exit status 1 with a one-line reason on stderr when the data cannot be used.
"""
import argparse
import glob
import json
import math
import os
import shutil
import tempfile

import numpy as np
import pandas as pd

from job_io import PROCESSING_ROOT, main

BASE = PROCESSING_ROOT
# Rows read at once; with the partition size this bounds memory (see npm run bench). Tests make both small.
CHUNK_ROWS = int(os.environ.get("MLOPS_PREPROCESS_CHUNK_ROWS", 50_000))
PARTITION_BYTES = int(os.environ.get("MLOPS_PREPROCESS_PARTITION_BYTES", 64 * 1024**2))
BASELINE_ROWS = 200_000
# Salts mixed into the row hash (pandas' splitmix finalizer) for independent hashes: split, shard, sample.
SPLIT_SALT, SHARD_SALT, SAMPLE_SALT = 0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9
# Where SageMaker describes the job's instances; `npm run simulate` points it at each host's own file.
RESOURCE_CONFIG = os.environ.get("MLOPS_RESOURCE_CONFIG", "/opt/ml/config/resourceconfig.json")


class DataError(Exception):
    """The data does not fit the pipeline's schema; the message says how."""


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--config", required=True, help="pipeline.json written by the platform")
    p.add_argument("--input-dir", default=f"{BASE}/input/data")
    p.add_argument("--output-dir", default=f"{BASE}/output")
    p.add_argument("--work-dir", help="scratch space for the hash partitions (default: a new folder on the job's volume)")
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


def csv_files(input_dir, columns, hosts=1):
    files = sorted(f for f in glob.glob(os.path.join(input_dir, "**", "*"), recursive=True) if os.path.isfile(f))
    csvs = [f for f in files if f.lower().endswith(".csv")]
    if not csvs and hosts == 1:  # with several instances, one may get no file: it writes empty outputs
        raise DataError(f"no .csv files under {input_dir}")
    for f in csvs:
        header = [str(c).strip() for c in pd.read_csv(f, nrows=0, skipinitialspace=True).columns]
        problems = header_problems(header, list(columns))
        if problems:
            raise DataError(f"{os.path.relpath(f, input_dir)}: {'; '.join(problems)}")
    return csvs


def chunks(files, columns):
    """Every row of every file, CHUNK_ROWS at a time (pandas' C parser; clean checks the types)."""
    for f in files:
        for chunk in pd.read_csv(f, skipinitialspace=True, chunksize=CHUNK_ROWS):
            chunk.columns = list(columns)
            yield chunk


def clean(df, spec):
    """Rows without a label dropped; features as float, the label as int (classification) or float."""
    label = spec["label"]
    features = [c for c in spec["columns"] if c != label]
    df = df.dropna(subset=[label])
    out = pd.DataFrame(index=df.index)
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
    out[label] = y.astype(int) if problem != "regression" else y.astype(float) + 0.0
    for col in features:
        if pd.api.types.is_numeric_dtype(df[col]):
            out[col] = df[col].astype(float) + 0.0  # -0.0 becomes 0.0: equal values hash alike
            continue
        values = pd.to_numeric(df[col], errors="coerce")  # text in the column: name a value that is not a number
        bad = df[col][values.isna() & df[col].notna()]
        if len(bad) > 0:
            raise DataError(f"column {col} must be numeric; found {len(bad)} non-numeric values such as {bad.astype(str).iloc[0]!r}")
        out[col] = values.astype(float) + 0.0
    return out


def row_hash(df, salt=None):
    """A stable 64-bit hash of each row's values; with `salt`, another hash independent of it."""
    h = pd.util.hash_pandas_object(df, index=False).to_numpy()
    return h if salt is None else pd.util.hash_array(h ^ np.uint64(salt))


def partition(files, spec, work_dir, partitions):
    """Pass 1: clean every chunk and append each row, as raw float64 (exact, no text round trip), to
    the partition its hash names. Returns the rows read."""
    os.makedirs(work_dir, exist_ok=True)
    read = 0
    for chunk in chunks(files, spec["columns"]):
        read += len(chunk)
        df = clean(chunk, spec)
        part = row_hash(df) % partitions
        values = df.to_numpy(dtype=np.float64)
        for k in np.unique(part):
            with open(os.path.join(work_dir, f"part-{k:05d}.f64"), "ab") as f:
                values[part == k].tofile(f)
    return read


def host_of(resource_config):
    """This instance and how many there are (SageMaker's resourceconfig.json; one instance elsewhere)."""
    try:
        with open(resource_config, encoding="utf-8") as f:
            rc = json.load(f)
        return rc["current_host"], len(rc["hosts"]), rc["hosts"][0]
    except (OSError, KeyError, ValueError):
        return "algo-1", 1, "algo-1"


def run(argv):
    args = parse_args(argv)
    with open(args.config, encoding="utf-8") as f:
        spec = json.load(f)
    host, hosts, first_host = host_of(RESOURCE_CONFIG)
    files = csv_files(args.input_dir, spec["columns"], hosts)
    partitions = max(1, math.ceil(sum(os.path.getsize(f) for f in files) / PARTITION_BYTES))
    # On the job's volume (the container's own disk is small), or a temporary folder outside SageMaker.
    work_dir = args.work_dir or tempfile.mkdtemp(prefix="preprocess-", dir=BASE if os.path.isdir(BASE) else None)
    try:
        return write_splits(spec, args, files, partitions, work_dir, host, hosts, first_host)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


def write_splits(spec, args, files, partitions, work_dir, host, hosts, first_host):
    """Pass 1 into hash partitions, then pass 2: each partition deduplicated and split by row hash."""
    label = spec["label"]
    suffix = "" if hosts == 1 else f"-{host}"
    rows_read = partition(files, spec, work_dir, partitions)
    kept = 0
    train_end = 1 - spec["validationFraction"] - spec["testFraction"]
    validation_end = 1 - spec["testFraction"]
    shards = max(1, int(spec.get("trainShards", 1)))
    out = args.output_dir
    for d in ("train", "validation", "test", "baseline"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    # One instance keeps the plain names; several name their files after their host (one S3 prefix for all).
    paths = {
        "validation": os.path.join(out, "validation", f"validation{suffix}.csv"),
        "test": os.path.join(out, "test", f"test{suffix}.csv"),
        **{f"train{i}": os.path.join(out, "train", f"part{suffix}-{i:04d}.csv") for i in range(shards)},
    }
    counts = {"train": 0, "validation": 0, "test": 0}
    baseline = []
    # Each instance samples its share: about BASELINE_ROWS rows in all.
    sample_every = max(1, math.ceil(rows_read * hosts / BASELINE_ROWS))
    columns = [label] + [c for c in spec["columns"] if c != label]
    for name in sorted(os.listdir(work_dir)):
        path = os.path.join(work_dir, name)
        df = pd.DataFrame(np.fromfile(path, dtype=np.float64).reshape(-1, len(columns)), columns=columns).drop_duplicates()
        os.remove(path)
        if spec["problemType"] != "regression":  # the partitions hold float64: classes back to integers
            df[label] = df[label].astype(int)
        kept += len(df)
        u = (row_hash(df, SPLIT_SALT) >> 11) / float(2**53)
        to = {"validation": (u >= train_end) & (u < validation_end), "test": u >= validation_end}
        for split, mask in to.items():
            df[mask].to_csv(paths[split], mode="a", header=False, index=False)
            counts[split] += int(mask.sum())
        train = df[u < train_end]
        counts["train"] += len(train)
        shard = row_hash(train, SHARD_SALT) % shards if shards > 1 else None
        for i in range(shards):
            part = train if shard is None else train[shard == i]
            part.to_csv(paths[f"train{i}"], mode="a", header=False, index=False)
        # A deterministic sample: enough for drift's quantile bins.
        baseline.append(df[row_hash(df, SAMPLE_SALT) % sample_every == 0].drop(columns=[label]))
    # One instance judges the whole dataset; with several, each has a share (the training and
    # the evaluation refuse empty train or test sets).
    if hosts == 1 and kept < 10:
        raise DataError(f"only {kept} usable rows after cleaning")
    if hosts == 1 and min(counts.values()) == 0:
        raise DataError(f"cannot split {kept} rows into train / validation / test ({counts}): add rows")
    for p in paths.values():  # a split or shard with no row still needs its file
        open(p, "a", encoding="utf-8").close()
    # The first instance's sample is baseline.csv (the drift check looks for it); the others' sit beside it.
    name = "baseline.csv" if host == first_host else f"baseline-{host}.csv"
    features = pd.concat(baseline, ignore_index=True) if baseline else pd.DataFrame(columns=columns[1:])
    features.to_csv(os.path.join(out, "baseline", name), index=False)
    summary = {
        "rowsRead": rows_read,
        "rowsKept": kept,
        "rowsDropped": rows_read - kept,
        **counts,
        "trainShards": shards,
        "partitions": partitions,
        "host": host,
        "hosts": hosts,
    }
    with open(os.path.join(out, "baseline", f"preprocess_summary{suffix}.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps({"preprocess": summary}))
    return summary


if __name__ == "__main__":
    main(run, DataError)
