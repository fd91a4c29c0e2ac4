"""PyTorch eager (CPU) on the comparison harness's workloads: nn.Linear
layers, DeZero's MSE written out (sum of squares / rows), optim.SGD.
torch.set_num_threads(--threads)."""

import time

import numpy as np
import torch

import common


def run(w):
    x, t = common.data(w)
    x, t = torch.from_numpy(x), torch.from_numpy(t)
    sizes = w["sizes"]
    mods = []
    for k in range(len(sizes) - 1):
        lin = torch.nn.Linear(sizes[k], sizes[k + 1])
        with torch.no_grad():
            # torch holds W as out x in.
            lin.weight.copy_(torch.from_numpy(common.weight(w, k).T.copy()))
            lin.bias.zero_()
        mods.append(lin)
        if k < len(sizes) - 2:
            mods.append(torch.nn.ReLU() if w["activation"] == "relu" else torch.nn.Sigmoid())
    model = torch.nn.Sequential(*mods)
    opt = torch.optim.SGD(model.parameters(), lr=w["lr"])
    rows, iters = w["rows"], w["iters"]
    start = time.perf_counter()
    for _ in range(iters):
        loss = ((model(x) - t) ** 2).sum() / rows
        opt.zero_grad()
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - start
    assert all(p.dtype == torch.float32 for p in model.parameters())
    return seconds, loss.item()


def main():
    a, w = common.parse_args()
    torch.set_num_threads(a.threads)
    seconds, loss = [], float("nan")
    for _ in range(a.runs):
        s, loss = run(w)
        seconds.append(s)
    common.print_result("PyTorch", a, w, seconds, loss)


if __name__ == "__main__":
    main()
