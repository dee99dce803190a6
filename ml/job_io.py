"""Shared by the processing scripts: how a job reports a failure it understands.

SageMaker Processing returns the first 1 KB of `/opt/ml/output/message` as the job's
`ExitMessage` (DescribeProcessingJob), which the failure notification quotes; the generic
`FailureReason` only says to read the logs.
"""
import os
import sys

import numpy as np

MESSAGE_FILE = os.environ.get("MLOPS_MESSAGE_FILE", "/opt/ml/output/message")
# Where SageMaker Processing mounts inputs and collects outputs; `npm run simulate` re-roots it.
PROCESSING_ROOT = os.environ.get("MLOPS_PROCESSING_ROOT", "/opt/ml/processing")


def write_exit_message(message, path=MESSAGE_FILE):
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(message.encode("utf-8")[:1024].decode("utf-8", errors="ignore"))
    except OSError:
        pass  # outside a SageMaker container: stderr carries the message


def main(run, expected):
    """Runs `run(argv)`; an `expected` error exits 1 with a one-line reason (stderr + ExitMessage)."""
    try:
        run(sys.argv[1:])
    except expected as e:
        message = f"{type(e).__name__}: {e}"
        print(message, file=sys.stderr)
        write_exit_message(message)
        sys.exit(1)


class Sample:
    """A uniform random sample of at most `cap` rows of a stream (seeded, so a job is repeatable).

    Each row gets a random key and the `cap` smallest keys stay: memory is the cap plus one chunk,
    however many rows pass.
    """

    def __init__(self, cap, width, seed=0):
        self.cap, self.seen = cap, 0
        self.rows, self.keys = np.empty((0, width)), np.empty(0)
        self.rng = np.random.default_rng(seed)

    def add(self, rows):
        rows = np.asarray(rows, dtype=float).reshape(-1, self.rows.shape[1])
        self.seen += len(rows)
        self.rows = np.concatenate([self.rows, rows])
        self.keys = np.concatenate([self.keys, self.rng.random(len(rows))])
        if len(self.keys) > self.cap:
            keep = np.argpartition(self.keys, self.cap)[: self.cap]
            self.rows, self.keys = self.rows[keep], self.keys[keep]
