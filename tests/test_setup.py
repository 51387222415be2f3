"""The course installs as the README says: pins, Binder files, the two commands, CI."""

import os
import re
import shlex
import subprocess
import sys

import pytest
from conftest import ROOT

PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;#]+)")


def read_pins(path) -> dict[str, str]:
    """{normalised package name: public version} of every ``name==version`` line."""
    pins = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith(("-", "--")):
            continue
        match = PIN.match(line)
        if not match:
            raise AssertionError(f"{path.name}: line {raw!r} is not pinned with ==")
        name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
        pins[name] = match.group(2)
    return pins


def pin_drift(top: dict[str, str], binder: dict[str, str]) -> list[str]:
    """Human-readable differences between the two pin sets (empty when they agree)."""
    problems = []
    for name in sorted(set(top) | set(binder)):
        if name not in binder:
            problems.append(f"{name}: pinned in requirements.txt but missing from binder/")
        elif name not in top:
            problems.append(f"{name}: pinned in binder/ but missing from requirements.txt")
        elif name == "torch":
            if binder[name] != top[name] + "+cpu":
                problems.append(f"torch: binder/ has {binder[name]}, expected {top[name]}+cpu")
        elif binder[name] != top[name]:
            problems.append(f"{name}: requirements.txt has {top[name]}, binder/ has {binder[name]}")
    return problems


def test_every_requirement_is_pinned_and_torch_is_the_cpu_build():
    pins = read_pins(ROOT / "requirements.txt")
    for needed in ["jupyterlab", "numpy", "matplotlib", "ipywidgets", "torch", "nbval", "pytest",
                   "playwright", "tqdm"]:
        assert needed in pins, f"requirements.txt: {needed} is not pinned"
    assert pins["torch"] == "2.13.0"
    assert "-e ." in (ROOT / "requirements.txt").read_text().splitlines()


def test_binder_pins_equal_top_level_pins():
    top = read_pins(ROOT / "requirements.txt")
    binder = read_pins(ROOT / "binder" / "requirements.txt")
    assert pin_drift(top, binder) == []
    text = (ROOT / "binder" / "requirements.txt").read_text()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in text


def test_pin_drift_names_the_package():
    top = {"numpy": "2.4.6", "torch": "2.13.0", "tqdm": "4.70.1"}
    drifted = {"numpy": "2.4.5", "torch": "2.13.0", "extra": "1.0"}
    problems = pin_drift(top, drifted)
    assert any(p.startswith("numpy:") and "2.4.5" in p for p in problems)
    assert any(p.startswith("torch:") and "+cpu" in p for p in problems)
    assert any(p.startswith("tqdm:") for p in problems)
    assert any(p.startswith("extra:") for p in problems)


def test_unpinned_line_is_reported(tmp_path):
    bad = tmp_path / "requirements.txt"
    bad.write_text("numpy>=2\n")
    with pytest.raises(AssertionError, match="not pinned"):
        read_pins(bad)


def test_binder_runtime_and_postbuild():
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    post = ROOT / "binder" / "postBuild"
    assert post.stat().st_mode & 0o111, "binder/postBuild must be executable"
    assert "pip install --no-deps -e ." in post.read_text()


def readme_commands() -> list[str]:
    """The shell commands in the README's ```bash blocks."""
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_readme_has_set_up_test_and_website_commands_and_ci_runs_the_first_two():
    commands = readme_commands()
    assert len(commands) == 3, commands
    setup, test, website = commands
    assert website == "python docs/build_site.py"
    assert "pip install -r requirements.txt" in setup and "jupyter lab" in setup
    assert test == "pytest"
    ci = (ROOT / ".ci" / "run").read_text()
    install_part = setup.split("&& jupyter lab")[0].strip()
    assert install_part in ci, ".ci/run must install exactly as the README says"
    assert re.search(r"^\s*pytest\b", ci, flags=re.M), ".ci/run must run the README's pytest"
    shlex.split(setup)  # well-formed shell words


def test_readme_binder_link_and_syllabus():
    text = (ROOT / "README.md").read_text()
    owner_repo = re.search(r"^BINDER_REPO: `([^`]+)`", text, flags=re.M)
    assert owner_repo, "README must state the <owner>/<repo> once, on a 'BINDER_REPO:' line"
    url = (f"https://mybinder.org/v2/gh/{owner_repo.group(1)}/HEAD"
           "?urlpath=lab/tree/notebooks/00_start_here.ipynb")
    assert url in text
    for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        assert f"notebooks/{nb.name}" in text, f"README syllabus does not link {nb.name}"


@pytest.mark.parametrize("order", ["rnn_helpers, torch", "torch, rnn_helpers"])
def test_importing_the_library_uses_one_thread_for_blas_and_torch(order):
    code = (f"import {order}, threadpoolctl\n"
            "blas = [i['num_threads'] for i in threadpoolctl.threadpool_info()"
            " if i['user_api'] == 'blas']\n"
            "print(blas, torch.get_num_threads())")
    env = {k: v for k, v in os.environ.items() if k not in ("RNN_COURSE_THREADS",
                                                            "OMP_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout.split("]")
    blas, torch_threads = out[0] + "]", int(out[1])
    assert blas != "[]" and set(blas.strip("[]").split(", ")) == {"1"}, blas
    assert torch_threads == 1
