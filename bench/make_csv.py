"""`npm run bench` data: a CSV of about BYTES bytes with the breast-cancer columns.

usage: make_csv.py FIXTURE_CSV OUT_CSV BYTES

Rows are the fixture's rows with every feature scaled by a random factor near 1, so every row is
unique (preprocess.py drops duplicates) and the classes stay learnable.
"""
import sys

import numpy as np
import pandas as pd


def main(fixture, out, size):
    base = pd.read_csv(fixture)
    label = base.columns[0]
    rng = np.random.default_rng(0)
    written = 0
    with open(out, "w", encoding="utf-8") as f:
        f.write(",".join(base.columns) + "\n")
        while written < size:
            block = base.copy()
            features = block.columns[1:]
            block[features] = (block[features].to_numpy() * rng.uniform(0.97, 1.03, size=(len(block), len(features)))).round(6)
            text = block.to_csv(header=False, index=False)
            f.write(text)
            written += len(text)
    print(label, written)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
