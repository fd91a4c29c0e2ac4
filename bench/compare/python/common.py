"""What every Python program of the comparison harness shares: the three
workloads, their data and initial weights, the command line and the result
line. The Rust side has the same in bench/compare/common/workloads.rs, and
both must produce bit-identical data and weights (a counter hash, not a
library's generator, so every system starts from the same f32 values)."""

import argparse
import json
import math

import numpy as np

WORKLOADS = {
    # name: rows, sizes (input, hidden..., output), activation, lr, iters
    "w1": dict(rows=100, sizes=(1, 10, 1), activation="sigmoid", lr=0.2, iters=10_000),
    "w2": dict(rows=100, sizes=(784, 1000, 10), activation="sigmoid", lr=0.01, iters=200),
    "w3": dict(rows=32, sizes=(64, 64, 64, 64, 1), activation="relu", lr=0.01, iters=5_000),
}

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def uniform(stream, n):
    """n values in [0, 1), multiples of 2**-24, as float64: the top 24 bits
    of splitmix64's finaliser applied to stream * 2**32 + i."""
    with np.errstate(over="ignore"):
        z = (np.uint64(stream) << np.uint64(32)) + np.arange(n, dtype=np.uint64)
        z = z * _GAMMA + _GAMMA
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(40)).astype(np.float64) / float(1 << 24)


def data(w):
    """(x, t) as float32 arrays, rows x in and rows x out."""
    rows, sizes = w["rows"], w["sizes"]
    x = uniform(1, rows * sizes[0])
    if w["name"] == "w1":
        t = np.sin(2.0 * math.pi * x) + uniform(2, rows)
    else:
        t = uniform(2, rows * sizes[-1])
    return (x.astype(np.float32).reshape(rows, sizes[0]),
            t.astype(np.float32).reshape(rows, sizes[-1]))


def weight(w, k):
    """Initial W of layer k, in x out (DeZero's layout): uniform on
    +-sqrt(3/in), the variance of DeZero's randn * sqrt(1/in)."""
    i, o = w["sizes"][k], w["sizes"][k + 1]
    scale = math.sqrt(3.0 / i)
    return ((2.0 * uniform(100 + k, i * o) - 1.0) * scale).astype(np.float32).reshape(i, o)


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--workload", required=True, choices=sorted(WORKLOADS))
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--iters", type=int)
    a = p.parse_args()
    w = dict(WORKLOADS[a.workload], name=a.workload)
    if a.iters is not None:
        w["iters"] = a.iters
    return a, w


def print_result(system, a, w, seconds, loss):
    """The one line the harness reads."""
    print("RESULT " + json.dumps({
        "system": system, "workload": w["name"], "threads": a.threads,
        "iters": w["iters"], "run_seconds": seconds,
        "final_loss": float(loss) if math.isfinite(loss) else None,
    }), flush=True)


def unsupported_threads(system, a):
    print(f"UNSUPPORTED {system}: {a.threads} threads (no way to set a thread count)", flush=True)
    raise SystemExit(3)
