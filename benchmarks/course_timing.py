"""Execute every notebook headless and print its time, slowest cell and peak memory,
then the totals and each slider's kernel-side update time, against COURSE.md's budgets.

    python benchmarks/course_timing.py [notebooks/03_*.ipynb ...]
    RNN_COURSE_SEED=3 python benchmarks/course_timing.py     # the course under another seed

Every notebook runs to its end even when a cell fails; error outputs are listed and make the
script exit with status 1.

Figures are measured on this machine, now; nothing here is a test.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rnn_helpers.runner import parse_sweep, run_notebook  # noqa: E402
from rnn_helpers.seed import SEED  # noqa: E402

BUDGET_TOTAL_S = 120.0
BUDGET_CELL_S = 5.0
BUDGET_MEMORY_MB = 1536.0
BUDGET_SLIDER_MS = 100.0
# Seven positions per slider: enough for a median, few enough for training sliders.
SWEEP_CODE = "from rnn_helpers.widgets.sweep import sweep_report\nsweep_report(7)"


def main(paths: list[Path]) -> int:
    rows, sliders, errors = [], {}, []
    print(f"course seed (RNN_COURSE_SEED): {SEED}\n")
    for path in paths:
        run = run_notebook(path, SWEEP_CODE, allow_errors=True)
        errors += [f"{path.name} {e}" for e in run.error_outputs]
        index, slowest = run.slowest_cell
        rows.append((path.name, run.total_seconds, index, slowest, run.peak_memory_mb))
        try:
            sweep = parse_sweep(run.extra_stdout)
        except ValueError:
            sweep = []
            errors.append(f"{path.name}: the slider sweep did not run")
        for result in sweep:
            if result["error"]:
                errors.append(f"{path.name} slider {result['label']} = {result['value']}: "
                              f"{result['error'][:200]}")
            key = (path.name, result["label"], "trains" if result["trains"] else "analytic")
            sliders.setdefault(key, []).append(result["seconds"])
        print(f"ran {path.name}: {run.total_seconds:.1f} s", file=sys.stderr, flush=True)

    print("| notebook | total s | slowest cell (index: s) | peak kernel memory MB |")
    print("|---|---:|---:|---:|")
    for name, total, index, slowest, memory in rows:
        print(f"| {name} | {total:.1f} | {index}: {slowest:.2f} | {memory:.0f} |")
    total = sum(r[1] for r in rows)
    worst_cell = max((r[3] for r in rows), default=0.0)
    worst_memory = max((r[4] for r in rows), default=0.0)

    print("\n| notebook | slider | kind | median update ms | max ms |")
    print("|---|---|---|---:|---:|")
    for (name, label, kind), seconds in sliders.items():
        print(f"| {name} | {label} | {kind} | {1000 * statistics.median(seconds):.0f} | "
              f"{1000 * max(seconds):.0f} |")

    def verdict(ok: bool) -> str:
        return "within budget" if ok else "OVER BUDGET"

    print(f"\nwhole course: {total:.1f} s (budget {BUDGET_TOTAL_S:.0f} s) — "
          f"{verdict(total <= BUDGET_TOTAL_S)}")
    print(f"slowest cell: {worst_cell:.2f} s (budget {BUDGET_CELL_S:.0f} s) — "
          f"{verdict(worst_cell <= BUDGET_CELL_S)}")
    print(f"peak kernel memory: {worst_memory:.0f} MB (budget {BUDGET_MEMORY_MB:.0f} MB) — "
          f"{verdict(worst_memory <= BUDGET_MEMORY_MB)}")
    analytic = [statistics.median(v) for k, v in sliders.items() if k[2] == "analytic"]
    worst_slider = 1000 * max(analytic, default=0.0)
    print(f"slowest analytic slider median: {worst_slider:.0f} ms (budget "
          f"{BUDGET_SLIDER_MS:.0f} ms) — {verdict(worst_slider <= BUDGET_SLIDER_MS)}; "
          "sliders that train run on release and are not held to it")
    print(f"error outputs: {len(errors)}")
    for line in errors:
        print("  " + line)
    return 1 if errors else 0


if __name__ == "__main__":
    args = [Path(a) for a in sys.argv[1:]]
    sys.exit(main(args or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))))
