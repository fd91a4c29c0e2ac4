"""The original DeZero (the published `dezero` package, the book's code) on
the comparison harness's workloads: the book's step 45 loop on an MLP,
F.mean_squared_error, optimizers.SGD. NumPy's BLAS runs with the thread
count asked for (OPENBLAS_NUM_THREADS etc., set by run.sh before NumPy
loads)."""

import time

import numpy as np

import common

import dezero
import dezero.functions as F
from dezero import optimizers
from dezero.models import MLP


def run(w):
    x, t = common.data(w)
    act = F.relu if w["activation"] == "relu" else F.sigmoid
    model = MLP(w["sizes"][1:], activation=act)
    for k, layer in enumerate(model.layers):
        # Set before the first call, so the lazy layer keeps these weights.
        layer.W.data = common.weight(w, k)
    optimizer = optimizers.SGD(w["lr"]).setup(model)
    iters = w["iters"]
    start = time.perf_counter()
    for _ in range(iters):
        y_pred = model(x)
        loss = F.mean_squared_error(t, y_pred)
        model.cleargrads()
        loss.backward()
        optimizer.update()
    seconds = time.perf_counter() - start
    for p in model.params():
        assert p.data.dtype == np.float32, p.data.dtype
    return seconds, float(loss.data)


def main():
    a, w = common.parse_args()
    seconds, loss = [], float("nan")
    for _ in range(a.runs):
        s, loss = run(w)
        seconds.append(s)
    common.print_result("DeZero", a, w, seconds, loss)


if __name__ == "__main__":
    main()
