#!/usr/bin/env python3
"""Writes the model_dsl fuzz target's seed corpus, fuzz/seeds/model_dsl/:
the body of every `model! { ... }` in the examples, the benches,
tests/common/*.rs, tests/compiled_*.rs, tests/prop_compiled.rs, the facade's documentation
(src/lib.rs) and tests/ui/*.rs, one file each, dedented.

    scripts/model_dsl_seeds.py

Rerun it after adding a model or a compile-fail case; the test
dezero-macros/compiler/tests/seeds.rs expands every seed and checks that
each tests/ui case has one. Braces are matched by counting, so a `{` or
`}` inside a string or comment of a model would confuse it (none has one).
"""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "fuzz/seeds/model_dsl"
SOURCES = ["examples/sine.rs", "tests/common/two_layer_net.rs", "tests/common/block.rs",
           "tests/compiled_alloc.rs", "tests/compiled_differential.rs", "tests/compiled_sizes.rs",
           "tests/prop_compiled.rs", "benches/compiled.rs"]


def bodies(text):
    """The text between the braces of each `model! {` that starts a line."""
    found = []
    for m in re.finditer(r"(?m)^\s*model!\s*\{", text):
        depth, j = 1, m.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        found.append(text[m.end():j - 1])
    return found


def dedent(body):
    lines = body.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    indent = min((len(l) - len(l.lstrip()) for l in lines if l.strip()), default=0)
    return "\n".join(l[indent:] for l in lines) + "\n"


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    seeds = {}
    for src in SOURCES:
        path = ROOT / src
        for k, body in enumerate(bodies(path.read_text())):
            seeds[f"{path.parent.name}_{path.stem}_{k}.model"] = body
    doc = "\n".join(re.sub(r"^//! ?", "", l)
                    for l in (ROOT / "src/lib.rs").read_text().split("\n") if l.startswith("//!"))
    for k, body in enumerate(bodies(doc)):
        seeds[f"doc_lib_{k}.model"] = body
    for path in sorted((ROOT / "tests/ui").glob("*.rs")):
        for k, body in enumerate(bodies(path.read_text())):
            seeds[f"ui_{path.stem}{'' if k == 0 else f'_{k}'}.model"] = body
    for name, body in seeds.items():
        (OUT / name).write_text(dedent(body))
    # Seeds of models since removed or moved: the directory is this
    # script's output, so anything else in it is stale.
    for stale in OUT.glob("*.model"):
        if stale.name not in seeds:
            stale.unlink()
    print(f"{len(seeds)} seeds in {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
