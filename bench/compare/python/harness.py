"""Runs the comparison harness's programs and writes the report.

Called by bench/compare/run.sh once the environments and binaries exist:
each system x workload x thread count is one process under
`/usr/bin/time -v` (peak RSS), printing one RESULT line with the seconds of
each timed run (the training loop only) and its final loss. Writes
results/results.json, BENCHMARKS.md, chart.png and the README's Benchmarks
section.

Standard library only, except matplotlib for the chart (skipped, with a
note, where it does not import)."""

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # bench/compare
ROOT = os.path.dirname(os.path.dirname(HERE))
RESULTS = os.path.join(HERE, "results")
TARGET = os.path.join(HERE, "target", "release")
VENV_DEZERO = os.path.join(HERE, ".venv-dezero", "bin", "python")
VENV_TORCH = os.path.join(HERE, ".venv-torch", "bin", "python")
PY = os.path.join(HERE, "python")

WORKLOADS = {
    "w1": dict(title="W1 step 45 (100x1, 1-10-1 sigmoid, SGD 0.2, 10 000 it)", unit="µs",
               scale=1e6, iters=10_000),
    "w2": dict(title="W2 wide (100x784, 784-1000-10 sigmoid, SGD 0.01, 200 it)", unit="ms",
               scale=1e3, iters=200, flop=6 * 100 * (784 * 1000 + 1000 * 10)),
    "w3": dict(title="W3 deep narrow (32x64, 64-64-64-64-1 relu, SGD 0.01, 5 000 it)", unit="µs",
               scale=1e6, iters=5_000),
}
# Thread counts per workload: 2 threads for W2, where the product is large
# enough for a second thread to matter, and for W3, whose step is long
# enough to split by batch rows (dezero-rs's compiled pass does).
THREADS = {"w1": [1], "w2": [1, 2], "w3": [1, 2]}

REFERENCE = "dezero-rs compiled"


def systems():
    """(name, argv prefix, note when unavailable)."""
    out = []

    def binary(name, exe, extra=()):
        path = os.path.join(TARGET, exe)
        out.append((name, [path, *extra] if os.path.exists(path) else None, f"{exe} not built"))

    binary("dezero-rs compiled", "dezero-rs", ["--mode", "compiled"])
    binary("dezero-rs define-by-run", "dezero-rs", ["--mode", "define-by-run"])
    for name, venv, script in [("DeZero", VENV_DEZERO, "dezero_bench.py"),
                               ("PyTorch", VENV_TORCH, "torch_bench.py")]:
        ok = os.path.exists(venv)
        out.append((name, [venv, os.path.join(PY, script)] if ok else None,
                    f"{os.path.relpath(os.path.dirname(os.path.dirname(venv)), HERE)} missing"))
    binary("candle", "candle")
    binary("burn flex", "burn-flex")
    binary("burn ndarray", "burn-ndarray")
    return out


def thread_env(n):
    """Every library's thread knob set to n (NumPy's BLAS, OpenMP, MKL,
    rayon); PyTorch also calls torch.set_num_threads(n)."""
    env = dict(os.environ)
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
              "RAYON_NUM_THREADS", "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
        env[k] = str(n)
    return env


def run_one(argv, workload, threads, runs, iters, log):
    """One process: returns dict(result…, rss_kb) or dict(error=…)."""
    cmd = ["/usr/bin/time", "-v", *argv, "--workload", workload, "--threads", str(threads),
           "--runs", str(runs), "--iters", str(iters)]
    p = subprocess.run(cmd, env=thread_env(threads), capture_output=True, text=True)
    log.write(f"$ {' '.join(cmd)}\n{p.stdout}{p.stderr}\n")
    log.flush()
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    rss = int(m.group(1)) if m else None
    if p.returncode == 3 or "UNSUPPORTED" in p.stdout:
        return dict(unsupported=True, rss_kb=rss)
    line = next((l for l in p.stdout.splitlines() if l.startswith("RESULT ")), None)
    if p.returncode != 0 or line is None:
        tail = (p.stderr.strip().splitlines() or ["no output"])
        tail = [l for l in tail if not l.startswith("\t")] or tail
        return dict(error=f"exit {p.returncode}: {tail[-1][:200]}", rss_kb=rss)
    r = json.loads(line[len("RESULT "):])
    r["rss_kb"] = rss
    return r


def versions():
    v = {}

    def cmd(*argv):
        try:
            return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()
        except Exception as e:  # noqa: BLE001 - a missing tool is reported, not fatal
            return f"unavailable ({type(e).__name__})"

    v["rustc"] = cmd("rustc", "--version")
    v["python"] = platform.python_version()
    rev = cmd("git", "-C", ROOT, "rev-parse", "--short", "HEAD")
    dirty = cmd("git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no")
    cargo = open(os.path.join(ROOT, "Cargo.toml")).read()
    m = re.search(r'\[workspace\.package\][^\[]*?version\s*=\s*"([^"]+)"', cargo)
    v["dezero-rs"] = f"{m.group(1) if m else '?'} (git {rev}{', uncommitted changes' if dirty else ''})"
    if os.path.exists(VENV_DEZERO):
        v["DeZero"] = cmd(VENV_DEZERO, "-c",
                          "import dezero, numpy; print(f'dezero {dezero.__version__}, "
                          "numpy {numpy.__version__}')")
    if os.path.exists(VENV_TORCH):
        v["PyTorch"] = cmd(VENV_TORCH, "-c",
                           "import torch; print(f'torch {torch.__version__} "
                           "(the PyPI wheel; only its CPU kernels run, "
                           "CPU capability {torch.backends.cpu.get_cpu_capability()})')")
    lock = os.path.join(HERE, "rust-peers", "Cargo.lock")
    if os.path.exists(lock):
        pkgs = dict(re.findall(r'name = "([^"]+)"\nversion = "([^"]+)"', open(lock).read()))
        v["candle"] = f"candle-core {pkgs.get('candle-core', '?')}, candle-nn {pkgs.get('candle-nn', '?')}"
        v["burn"] = (f"burn {pkgs.get('burn', '?')} (burn-flex {pkgs.get('burn-flex', '?')}, "
                     f"burn-ndarray {pkgs.get('burn-ndarray', '?')})")
    return v


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        m = re.search(r"Model name:\s*(.+)", out)
        model = m.group(1).strip() if m else platform.processor()
    except FileNotFoundError:
        model = platform.processor()
    flags = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
    isa = "AVX-512" if "avx512f" in flags else ("AVX2" if "avx2" in flags else "no AVX2")
    return f"{model}, {os.cpu_count()} logical CPUs, {isa}"


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------

def per_iter(r):
    """Median seconds per iteration, and the min and max over the runs."""
    s = [x / r["iters"] for x in r["run_seconds"]]
    return statistics.median(s), min(s), max(s)


def fmt_time(sec, w):
    v = sec * WORKLOADS[w]["scale"]
    return f"{v:.3g}" if v < 100 else f"{v:.0f}"


def fmt_ratio(x):
    return f"{x:.2f}×" if x < 10 else f"{x:.0f}×" if x < 1000 else f"{x:,.0f}×"


def table(results, order):
    """The full markdown table: one row per workload, thread count, system."""
    lines = ["| workload | threads | system | per iteration (median, min–max) | GFLOP/s | "
             "peak RSS | vs dezero-rs compiled | final loss |",
             "|---|---|---|---|---|---|---|---|"]
    for w in WORKLOADS:
        for th in THREADS[w]:
            ref = results.get((REFERENCE, w, th))
            ref_note = ""
            if not ok(ref):
                ref, ref_note = results.get((REFERENCE, w, 1)), " †"
            for name in order:
                r = results.get((name, w, th))
                if r is None:
                    continue
                unit = WORKLOADS[w]["unit"]
                if r.get("unsupported"):
                    lines.append(f"| {w.upper()} | {th} | {name} | — (no thread setting) | | | | |")
                    continue
                if "error" in r:
                    lines.append(f"| {w.upper()} | {th} | {name} | failed: {r['error']} | | | | |")
                    continue
                med, lo, hi = per_iter(r)
                gf = f"{WORKLOADS[w]['flop'] / med / 1e9:.0f}" if "flop" in WORKLOADS[w] else ""
                rss = f"{r['rss_kb'] / 1024:.0f} MiB" if r.get("rss_kb") else "?"
                if name == REFERENCE and not ref_note:
                    ratio = "1 (reference)"
                elif ok(ref):
                    ratio = fmt_ratio(med / per_iter(ref)[0]) + ref_note
                else:
                    ratio = ""
                loss = f"{r['final_loss']:.6g}" if r.get("final_loss") is not None else "nan"
                if ok(ref) and r.get("final_loss") is not None and ref.get("final_loss") is not None:
                    a_, b_ = r["final_loss"], ref["final_loss"]
                    if abs(a_ - b_) > 1e-3 * max(abs(a_), abs(b_)) + 1e-9:
                        loss += " (differs from dezero-rs compiled)"
                lines.append(
                    f"| {w.upper()} | {th} | {name} | {fmt_time(med, w)} {unit} "
                    f"({fmt_time(lo, w)}–{fmt_time(hi, w)}) | {gf} | {rss} | {ratio} | {loss} |")
    return "\n".join(lines)


def ok(r):
    return r is not None and "run_seconds" in r


def summary_table(results, order):
    """One line per system, one thread: the README's table."""
    head = "| system | W1 µs/it | W2 ms/it (GFLOP/s) | W3 µs/it |"
    lines = [head, "|---|---|---|---|"]
    for name in order:
        cells = []
        for w in WORKLOADS:
            r, ref = results.get((name, w, 1)), results.get((REFERENCE, w, 1))
            if not ok(r):
                cells.append("—")
                continue
            med = per_iter(r)[0]
            cell = fmt_time(med, w)
            if w == "w2":
                cell += f" ({WORKLOADS[w]['flop'] / med / 1e9:.0f})"
            if name != REFERENCE and ok(ref):
                cell += f", {fmt_ratio(med / per_iter(ref)[0])}"
            cells.append(cell)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def chart(results, order, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        return f"chart not drawn: {e}"
    from matplotlib.ticker import FuncFormatter
    import math
    cols = [(w, th) for w in WORKLOADS for th in THREADS[w]]
    fig, axes = plt.subplots(2, (len(cols) + 1) // 2, figsize=(11, 7.5))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, (w, th) in zip(axes.flat, cols):
        names, vals, cs, missing = [], [], [], []
        for i, name in enumerate(order):
            r = results.get((name, w, th))
            if ok(r):
                names.append(name)
                vals.append(per_iter(r)[0] * WORKLOADS[w]["scale"])
                cs.append(colors[i % len(colors)])
            elif r is not None and r.get("unsupported"):
                missing.append(name)
        ys = range(len(names))
        ax.barh(ys, vals, color=cs)
        ax.set_yticks(list(ys), names, fontsize=8)
        ax.invert_yaxis()
        ax.set_xscale("log")
        if vals:
            ax.set_xlim(10 ** math.floor(math.log10(min(vals))), max(vals) * 4)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
        ax.set_xlabel(f"{WORKLOADS[w]['unit']} per iteration (log scale; lower is better)", fontsize=8)
        ax.set_title(f"{w.upper()}, {th} thread{'s' if th > 1 else ''}", fontsize=10)
        for y, v in zip(ys, vals):
            ax.text(v, y, f" {v:.3g}", va="center", fontsize=8)
        if missing:
            ax.text(0.98, 0.02, "not run (no thread setting):\n" + "\n".join(missing),
                    transform=ax.transAxes, ha="right", va="bottom", fontsize=7, color="0.4")
    for ax in list(axes.flat)[len(cols):]:
        ax.axis("off")
    fig.suptitle("dezero-rs vs DeZero, PyTorch, candle, burn: one training iteration, f32", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return None


def write_report(results, order, meta, chart_note):
    date = meta["date"]
    v = meta["versions"]
    lines = [
        "# Benchmarks",
        "",
        "dezero-rs next to what one would use instead: the original DeZero (the",
        "book's code), PyTorch eager on CPU, candle and burn, on the same three",
        "training workloads. Regenerate (creates its own Python environments and",
        "cargo projects under `bench/compare/`, then rewrites this file,",
        "`bench/compare/chart.png` and the README's Benchmarks section):",
        "",
        "```sh",
        "bench/compare/run.sh",
        "```",
        "",
        f"Last run: {date}, on {meta['machine']}, {meta['runs']} timed runs per row.",
        "",
        "![per-iteration times](bench/compare/chart.png)",
        "",
        "## Results",
        "",
        table(results, order),
        "",
        "Per iteration = one whole training step (forward, loss, backward, SGD update),",
        "timed inside each program around the training loop and divided by the",
        "iteration count; the median over the runs, each run training a fresh",
        "model from the same initial weights. \"vs dezero-rs compiled\" is that",
        "median over dezero-rs compiled's, measured in the same run of the",
        "harness (above 1: dezero-rs compiled is faster)." +
        (" † dezero-rs has no thread setting yet: its one-thread figure." if any(
            (REFERENCE, w, th) in results and results[(REFERENCE, w, th)].get("unsupported")
            for w in WORKLOADS for th in THREADS[w]) else ""),
        "Peak RSS is the whole process's (`/usr/bin/time -v`), interpreter and",
        "libraries included. GFLOP/s counts 6·100·(784·1000 + 1000·10) FLOP per",
        "W2 iteration.",
        "",
        "## Versions",
        "",
    ]
    for k in ["dezero-rs", "DeZero", "PyTorch", "candle", "burn", "rustc", "python"]:
        if k in v:
            lines.append(f"- {k}: {v[k]}")
    if meta.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {n}" for n in meta["notes"]]
    lines += [
        "",
        "## What runs",
        "",
        "- W1, the book's step 45: x = rand(100, 1), y = sin(2πx) + rand(100, 1);",
        "  1 → 10 sigmoid → 1; 10 000 iterations of SGD, lr 0.2.",
        "- W2, wide: 100×784 → 1000 sigmoid → 10; 200 iterations, lr 0.01.",
        "- W3, deep narrow: 32×64 → 64 → 64 → 64 → 1, relu; 5 000 iterations, lr 0.01.",
        "",
        "Everywhere: f32; DeZero's mean squared error (sum of squares divided by",
        "the number of rows); plain SGD; full batch. Data and initial weights",
        "(uniform on ±√(3/in), DeZero's variance; zero biases) come from one",
        "counter hash implemented in `bench/compare/common/workloads.rs` and",
        "`bench/compare/python/common.py`, so every system starts from the same",
        "f32 values and the final losses agree to float rounding (a loss more",
        "than 0.1 % away from dezero-rs compiled's is flagged in the table).",
        "",
        "| system | program | threads set by |",
        "|---|---|---|",
        "| dezero-rs compiled | `bench/compare/dezero-rs`, `model!` structs, `forward_backward` + `SGD` | (no setting yet) |",
        "| dezero-rs define-by-run | same binary, `MLP` + `mean_squared_error` + `backward` | (no setting yet) |",
        "| DeZero | `bench/compare/python/dezero_bench.py`, PyPI `dezero` 0.0.13 (needs NumPy < 1.24) | `OPENBLAS_NUM_THREADS` |",
        "| PyTorch | `bench/compare/python/torch_bench.py`, `nn.Linear`, `optim.SGD` | `torch.set_num_threads` |",
        "| candle | `bench/compare/rust-peers/src/bin/candle.rs`, `candle_nn::Linear`, `SGD` | `RAYON_NUM_THREADS` |",
        "| burn flex / ndarray | `bench/compare/rust-peers/src/burn_mlp.rs`, `nn::Linear`, `SgdConfig`, autodiff | `RAYON_NUM_THREADS` |",
        "",
        "The raw numbers of the last run (each run's seconds, RSS, command lines)",
        "are in `bench/compare/results/` (not committed).",
        f"The last full run of `run.sh` took {meta['wall']}.",
        "",
    ]
    with open(os.path.join(ROOT, "BENCHMARKS.md"), "w") as f:
        f.write("\n".join(lines))


README_START = "<!-- bench/compare/run.sh writes this section -->"


def write_readme(results, order, meta):
    path = os.path.join(ROOT, "README.md")
    text = open(path).read()
    section = "\n".join([
        "## Benchmarks",
        "",
        README_START,
        "",
        f"Per training iteration, one thread, f32, median of {meta['runs']} runs; after the",
        "comma, the ratio to dezero-rs compiled measured in the same run (above 1:",
        f"dezero-rs compiled is faster). {meta['date']}, {meta['machine']}.",
        "Details, versions and the 2-thread W2 and W3 rows: [BENCHMARKS.md](BENCHMARKS.md).",
        "",
        summary_table(results, order),
        "",
        "Regenerate (builds candle and burn, installs DeZero and PyTorch in",
        "virtual environments under `bench/compare/`):",
        "",
        "```sh",
        "bench/compare/run.sh",
        "```",
        "",
    ])
    i = text.find("## Benchmarks\n\n" + README_START)
    text = (text[:i] if i >= 0 else text.rstrip("\n") + "\n\n") + section
    with open(path, "w") as f:
        f.write(text)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--scale", type=float, default=1.0,
                   help="multiply every workload's iterations (a quick check: 0.05)")
    p.add_argument("--only", help="comma-separated systems to run")
    p.add_argument("--no-write", action="store_true",
                   help="write results/ only, not BENCHMARKS.md, the chart or README")
    p.add_argument("--notes", default=os.path.join(RESULTS, "notes.txt"))
    p.add_argument("--start", type=float, default=time.time(), help="epoch seconds run.sh started")
    a = p.parse_args()
    os.makedirs(RESULTS, exist_ok=True)
    notes = []
    if os.path.exists(a.notes):
        notes = [l.strip() for l in open(a.notes) if l.strip()]
    order = [s[0] for s in systems()]
    results = {}
    load = os.getloadavg()[0]
    notes.append(f"load average (1 min) when the timing runs began: {load:.2f} on "
                 f"{os.cpu_count()} CPUs; other processes on the machine slow the "
                 f"measurements, two-thread rows most")
    bench_start = time.time()
    # Workload by workload, all systems back to back, so that the ratios
    # compare figures taken minutes apart at most.
    chosen = []
    for name, argv, why in systems():
        if a.only and name not in a.only.split(","):
            continue
        if argv is None:
            notes.append(f"{name}: {why}")
            continue
        chosen.append((name, argv))
    with open(os.path.join(RESULTS, "log.txt"), "w") as log:
        for w in WORKLOADS:
            for th in THREADS[w]:
                for name, argv in chosen:
                    iters = max(1, int(WORKLOADS[w]["iters"] * a.scale))
                    t0 = time.time()
                    r = run_one(argv, w, th, a.runs, iters, log)
                    results[(name, w, th)] = r
                    if ok(r):
                        med = per_iter(r)[0]
                        msg = (f"{fmt_time(med, w)} {WORKLOADS[w]['unit']}/it, "
                               f"loss {r['final_loss']}, rss {r['rss_kb']} kB")
                    else:
                        msg = "unsupported" if r.get("unsupported") else r["error"]
                    print(f"{name:24} {w} {th} thread(s): {msg} [{time.time() - t0:.1f}s]", flush=True)
    if a.scale != 1.0:
        notes.append(f"iterations scaled by {a.scale} (a quick check, not the full workloads)")
    elapsed, timing = time.time() - a.start, time.time() - bench_start
    meta = dict(
        date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        machine=cpu_model(), versions=versions(), runs=a.runs, notes=notes,
        wall=f"{elapsed / 60:.1f} min in all, {timing / 60:.1f} min of it the timing runs "
             f"(the rest: environments and builds, reused when present)")
    with open(os.path.join(RESULTS, "results.json"), "w") as f:
        json.dump(dict(meta=meta, results=[dict(r, system=k[0], workload=k[1], threads=k[2])
                                           for k, r in results.items()]), f, indent=1)
    print()
    print(table(results, order))
    if a.no_write:
        return
    chart_note = chart(results, order, os.path.join(HERE, "chart.png"))
    if chart_note:
        meta["notes"].append(chart_note)
    write_report(results, order, meta, chart_note)
    write_readme(results, order, meta)
    print(f"\nwrote BENCHMARKS.md, bench/compare/chart.png, README.md's Benchmarks section")


if __name__ == "__main__":
    sys.exit(main())
