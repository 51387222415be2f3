"""Execute a course notebook headless, timing every cell: used by tests and benchmarks.

Kept out of the notebooks' way: nothing here is taught, it is how we check the course.
"""

from __future__ import annotations

import html
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient

PEAK_MEMORY_CODE = (
    "import resource as _r\n"
    "print('PEAK-KB', _r.getrusage(_r.RUSAGE_SELF).ru_maxrss)"
)


@dataclass
class NotebookRun:
    """What executing one notebook produced."""

    path: Path
    cell_seconds: list[float] = field(default_factory=list)
    peak_memory_mb: float = float("nan")
    extra_stdout: str = ""
    error_outputs: list[str] = field(default_factory=list)

    @property
    def total_seconds(self) -> float:
        return sum(self.cell_seconds)

    @property
    def slowest_cell(self) -> tuple[int, float]:
        """(index of the slowest code cell in the notebook, its seconds)."""
        if not self.cell_seconds:
            return (-1, 0.0)
        i = max(range(len(self.cell_seconds)), key=self.cell_seconds.__getitem__)
        return (i, self.cell_seconds[i])


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stdout")


def _client(nb, path: Path, timeout: int, allow_errors: bool = False) -> NotebookClient:
    """A client for ``nb`` that runs it with its own folder as working directory."""
    return NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                          resources={"metadata": {"path": str(path.parent)}})


def run_notebook(path, extra_code: str | None = None, timeout: int = 600,
                 allow_errors: bool = False) -> NotebookRun:
    """Run every cell of ``path`` in a fresh kernel, then ``extra_code`` in the same kernel.

    The notebook runs with its own folder as working directory, as in JupyterLab, and with
    this process's environment (so ``RNN_COURSE_SEED`` reaches the kernel). A cell error
    raises ``nbclient.exceptions.CellExecutionError``, unless ``allow_errors``: then the run
    goes on and the errors are listed in ``error_outputs``.
    """
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = _client(nb, path, timeout, allow_errors)
    run = NotebookRun(path=path)
    cell_times: dict[int, float] = {}
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            start = time.perf_counter()
            client.execute_cell(cell, index)
            cell_times[index] = time.perf_counter() - start
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    run.error_outputs.append(
                        f"cell {index}: {out.get('ename')}: {out.get('evalue', '')}"[:300])
        extra = nbformat.v4.new_code_cell(
            (extra_code + "\n" if extra_code else "") + PEAK_MEMORY_CODE)
        nb.cells.append(extra)
        client.execute_cell(extra, len(nb.cells) - 1)
    run.cell_seconds = [cell_times.get(i, 0.0) for i in range(len(nb.cells) - 1)]
    text = _stdout(extra)
    for line in text.splitlines():
        if line.startswith("PEAK-KB"):
            run.peak_memory_mb = int(line.split()[1]) / 1024
    run.extra_stdout = text
    return run


def parse_sweep(stdout: str) -> list[dict]:
    """The results printed by ``rnn_helpers.widgets.sweep.sweep_report``."""
    for line in stdout.splitlines():
        if line.startswith("SWEEP-JSON "):
            return json.loads(line[len("SWEEP-JSON "):])
    raise ValueError("stdout: no 'SWEEP-JSON' line found — did the sweep run?")


def execute_in_place(path, timeout: int = 600) -> None:
    """Restart-and-run-all ``path`` and save it executed, with its widgets' final state.

    The saved widget state is what a *trusted* notebook opened without a kernel draws in
    place of each view (an untrusted one shows the ``image/png`` every view's output
    carries; see ``rnn_helpers.widgets.base.ViewBox``). Views are saved as first drawn:
    nothing moves a slider during the run. Only the widgets that some output displays are
    kept (progress bars and their parts, the models a view is made of), not every widget
    the kernel ever created.
    """
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    _client(nb, path, timeout).execute()
    _keep_displayed_widgets(nb)
    _finished_progress_text(nb)
    nbformat.write(nb, path)


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _finished_progress_text(nb) -> None:
    """Give each progress bar's output the text of its last state ("100%|███| 400/400 …").

    A tqdm bar's plain-text form is taken when it first appears (at 0%), and that is what
    a reader without a kernel (GitHub, the website) would see; the saved widget state holds
    where the bar ended.
    """
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            model = state.get(output.get("data", {}).get(WIDGET_VIEW, {}).get("model_id"), {})
            children = [state.get(c.removeprefix("IPY_MODEL_"), {})
                        for c in model.get("state", {}).get("children", [])]
            names = [c.get("model_name") for c in children]
            if names != ["HTMLModel", "FloatProgressModel", "HTMLModel"]:
                continue
            left, bar, right = (c["state"] for c in children)
            filled = round(10 * bar.get("value", 0) / bar["max"]) if bar.get("max") else 0
            text = (f"{html.unescape(left.get('value', ''))}|{'█' * filled}{' ' * (10 - filled)}|"
                    f"{html.unescape(right.get('value', ''))}")
            output["data"]["text/plain"] = text.replace("\u2007", " ")


def _keep_displayed_widgets(nb) -> None:
    """Drop saved widget models that no output displays, directly or through a child."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    if not state:
        return
    roots = {o["data"][WIDGET_VIEW]["model_id"] for c in nb.cells if c.cell_type == "code"
             for o in c.get("outputs", []) if WIDGET_VIEW in o.get("data", {})}
    keep, todo = set(), [r for r in roots if r in state]
    while todo:
        model_id = todo.pop()
        if model_id in keep:
            continue
        keep.add(model_id)
        text = json.dumps(state[model_id].get("state", {}))
        todo += [m for m in state if f"IPY_MODEL_{m}" in text and m not in keep]
    for model_id in list(state):
        if model_id not in keep:
            del state[model_id]


if __name__ == "__main__":
    import sys

    for name in sys.argv[1:]:
        start = time.perf_counter()
        execute_in_place(name)
        print(f"{name}: executed in {time.perf_counter() - start:.1f} s")
