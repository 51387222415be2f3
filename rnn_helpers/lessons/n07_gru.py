"""What notebook 07 (GRU) computes besides the shared cells module.

- GRU conventions. torch (and the scratch GRU) compute

      n = tanh(x_t W_in^T + b_in + r ⊙ (h_{t-1} W_hn^T + b_hn)),   h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}.

  Write-ups differ in two places. :func:`gru_step_update_on_candidate` gives z to the
  candidate instead, h_t = (1 - z) ⊙ h_{t-1} + z ⊙ n (as Chung et al. 2014 write it): the
  same model, since :func:`flip_update_gate` turns one into the other exactly.
  :func:`gru_step_reset_before` applies r *before* the matrix product,
  n = tanh(x_t W_in^T + b_in + (r ⊙ h_{t-1}) W_hn^T + b_hn), as Cho et al. (2014) do
  (Keras ``reset_after=False``, ONNX ``linear_before_reset=0``): a different function.
- :func:`compare_on_adding_problem`: plain RNN, LSTM and GRU trained on the adding problem
  with the same seed and the same budget, over several seeds; :func:`learned_counts` and
  :func:`merge_comparisons` summarise and join such runs.
"""

from __future__ import annotations

import math

import numpy as np

from rnn_helpers.data import adding_problem
from rnn_helpers.models import KINDS, make_regressor, train_regressor
from rnn_helpers.scratch import gru_step
from rnn_helpers.validate import check_int

__all__ = [
    "gru_step_reset_before",
    "gru_step_update_on_candidate",
    "flip_update_gate",
    "LEARNED_BELOW",
    "compare_on_adding_problem",
    "learned_counts",
    "merge_comparisons",
]


def _hidden_size(params: dict) -> int:
    W_hh = np.asarray(params["W_hh"])
    if W_hh.ndim != 2 or W_hh.shape[0] != 3 * W_hh.shape[1]:
        raise ValueError(f"params['W_hh']: expected shape (3H, H), got shape {W_hh.shape}")
    return W_hh.shape[1]


def gru_step_reset_before(x_t, h_prev, params):
    """One GRU step with the reset gate applied to h_{t-1} *before* the matrix product.

    Inputs and gates r, z as :func:`rnn_helpers.scratch.gru_step` (same parameters); only
    the candidate differs:

        n = tanh(x_t W_in^T + b_in + (r ⊙ h_{t-1}) W_hn^T + b_hn),   h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}

    Inputs: x_t (B, D), h_prev (B, H), params W_xh (3H, D), W_hh (3H, H), b_xh, b_hh (3H,).
    Returns h_t, (B, H).
    """
    _, cache = gru_step(x_t, h_prev, params)  # validates the inputs; gives r and z
    H = _hidden_size(params)
    r, z, h_prev = cache["r"], cache["z"], cache["h_prev"]
    W_in, b_in = np.asarray(params["W_xh"])[2 * H :], np.asarray(params["b_xh"])[2 * H :]
    W_hn, b_hn = np.asarray(params["W_hh"])[2 * H :], np.asarray(params["b_hh"])[2 * H :]
    n = np.tanh(cache["x"] @ W_in.T + b_in + (r * h_prev) @ W_hn.T + b_hn)
    return (1.0 - z) * n + z * h_prev


def gru_step_update_on_candidate(x_t, h_prev, params):
    """One GRU step with z weighing the candidate: h_t = (1 - z) ⊙ h_{t-1} + z ⊙ n.

    r, z and n as :func:`rnn_helpers.scratch.gru_step` (torch's candidate). Returns h_t,
    (B, H). With :func:`flip_update_gate`'s parameters it equals torch's step.
    """
    _, cache = gru_step(x_t, h_prev, params)
    z, n = cache["z"], cache["n"]
    return (1.0 - z) * cache["h_prev"] + z * n


def flip_update_gate(params: dict) -> dict:
    """A copy of GRU params whose update gate is 1 - z: the z block's weights and both of
    its biases are negated, and sigmoid(-a) = 1 - sigmoid(a)."""
    H = _hidden_size(params)
    new = {k: np.array(v, dtype=np.float64, copy=True) for k, v in params.items()}
    for key in ("W_xh", "W_hh", "b_xh", "b_hh"):
        new[key][H : 2 * H] *= -1.0
    return new


# A model "learned" the adding problem when its validation MSE is below this: under a
# third of the constant guess's 2/12 ≈ 0.167 (the plain RNN's plateau).
LEARNED_BELOW = 0.05


def compare_on_adding_problem(seeds, seq_len: int = 20, steps: int = 300, *,
                              kinds=KINDS, hidden_size: int = 32, n_train: int = 8000,
                              n_val: int = 1000, forget_bias: float | None = 2.0,
                              eval_every: int = 25, stop_below: float | None = LEARNED_BELOW,
                              progress: bool = True) -> dict:
    """Train the plain RNN, the LSTM and the GRU on the adding problem, seed by seed.

    For each seed s, the models share everything random: the data (training set from
    seed s + 1, validation set from s + 2), the initial weights (``make_regressor`` with
    seed s) and the batch order (seed s). They get the same budget: at most ``steps`` Adam
    updates (lr 1e-2, batches of 128, gradient norm clipped at 1), as in the notebooks. A
    run stops early once its validation MSE (measured every ``eval_every`` updates) is
    below ``stop_below``: it has learned the task, and the rest of the budget would be
    spent on polishing (None: always use the whole budget).

    Inputs:
    - seeds: the seeds to run (e.g. ``range(SEED, SEED + 3)``)
    - seq_len: T of the adding problem
    - steps: the budget, in updates, the same for every model
    - kinds: which models ("rnn", "lstm", "gru")
    - hidden_size: H
    - n_train, n_val: sequences in the training and validation sets
    - forget_bias: the LSTM's starting forget bias (None: torch's random bias)
    - eval_every: validation period in updates
    - stop_below: see above
    - progress: one tqdm bar over all runs (a run that stops early jumps ahead)

    Returns a dict:
    - "seeds": the seeds, a list
    - "steps_to_learn": kind -> array (n_seeds,): the first update count at which the
      validation MSE was below ``LEARNED_BELOW``; NaN if it never was within the budget
    - "final": kind -> array (n_seeds,): the last validation MSE
    - "seconds": kind -> array (n_seeds,): wall-clock training time of each run
    - "val_step", "val": kind -> list (per seed) of the validation steps and MSEs
    - "constant_guess": per seed, the MSE of always answering 1 on its validation set
    """
    seeds = [int(s) for s in seeds]
    if not seeds or any(s < 0 for s in seeds):
        raise ValueError(f"seeds: expected one or more integers >= 0, got {seeds}")
    for k in kinds:
        if k not in KINDS:
            raise ValueError(f"kinds: expected names among {KINDS}, got {k!r}")
    steps = check_int("steps", steps)
    from tqdm.auto import tqdm

    per_kind = {name: {k: [] for k in kinds}
                for name in ("steps_to_learn", "final", "seconds", "val_step", "val")}
    constant_guess = []
    bar = tqdm(total=len(seeds) * len(kinds) * steps, desc="RNN / LSTM / GRU over seeds",
               disable=not progress, leave=True)
    for s in seeds:
        x_train, y_train = adding_problem(n_train, seq_len, seed=s + 1)
        x_val, y_val = adding_problem(n_val, seq_len, seed=s + 2)
        constant_guess.append(float(np.mean((y_val - 1.0) ** 2)))
        for kind in kinds:
            model = make_regressor(kind, 2, hidden_size, seed=s,
                                   forget_bias=forget_bias if kind == "lstm" else None)
            history = train_regressor(model, x_train, y_train, x_val, y_val, steps=steps,
                                      seed=s, eval_every=eval_every, progress=False,
                                      stop_below=stop_below)
            learned = [n for n, v in zip(history.val_step, history.val_loss, strict=True)
                       if v < LEARNED_BELOW]
            per_kind["steps_to_learn"][kind].append(learned[0] if learned else math.nan)
            per_kind["final"][kind].append(history.final_val_loss)
            per_kind["seconds"][kind].append(history.seconds)
            per_kind["val_step"][kind].append(list(history.val_step))
            per_kind["val"][kind].append(list(history.val_loss))
            bar.update(steps)
    bar.close()
    out = {"seeds": seeds, "constant_guess": constant_guess}
    for name in ("steps_to_learn", "final", "seconds"):
        out[name] = {k: np.array(v, dtype=np.float64) for k, v in per_kind[name].items()}
    out["val_step"], out["val"] = per_kind["val_step"], per_kind["val"]
    return out


def learned_counts(result: dict) -> dict:
    """kind -> in how many seeds the model learned the task within the budget."""
    return {k: int(np.sum(np.isfinite(v))) for k, v in result["steps_to_learn"].items()}


def merge_comparisons(results) -> dict:
    """One result of :func:`compare_on_adding_problem` from several (e.g. one per cell),
    in the order given: seeds, per-kind arrays and lists are concatenated."""
    results = list(results)
    if not results:
        raise ValueError("results: expected at least one comparison, got none")
    kinds = list(results[0]["final"])
    out = {"seeds": [s for r in results for s in r["seeds"]],
           "constant_guess": [g for r in results for g in r["constant_guess"]]}
    for name in ("steps_to_learn", "final", "seconds"):
        out[name] = {k: np.concatenate([r[name][k] for r in results]) for k in kinds}
    for name in ("val_step", "val"):
        out[name] = {k: [v for r in results for v in r[name][k]] for k in kinds}
    return out
