"""What notebook 07 (GRU) computes.

- GRU conventions. torch (and cuDNN, and the scratch GRU) compute

      n = tanh(x_t W_in^T + b_in + r ⊙ (h_{t-1} W_hn^T + b_hn)),   h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}.

  Write-ups differ in two places. *Which side z weighs*: torch, Keras and Cho et al. (2014)
  let z keep the old state, as above; Chung et al. (2014) and many tutorials give z to the
  candidate, h_t = (1 - z) ⊙ h_{t-1} + z ⊙ n (:func:`gru_step_update_on_candidate`): the
  same model with z renamed 1 - z, since :func:`flip_update_gate` turns one into the other
  exactly. *Where r acts*: the final version of Cho et al. (arXiv 1406.1078v3) and Chung et
  al. apply r to h_{t-1} *before* the matrix product,
  n = tanh(x_t W_in^T + b_in + (r ⊙ h_{t-1}) W_hn^T + b_hn) (:func:`gru_step_reset_before`;
  Keras ``reset_after=False``, ONNX ``linear_before_reset=0``): a different function.
  torch/cuDNN's reset-after form follows the first arXiv version (v1) of Cho et al. So
  Chung et al.'s GRU differs from torch's in both places: a renaming and a different model.
- :func:`gru_survival`: how much of its initial state h0 (h_{-1}) a GRU still holds after
  t steps for a given update-gate bias, measured, against the prediction z^t (the
  half-lives are :func:`rnn_helpers.decay.half_life` and ``measured_half_life``).
- :func:`compare_on_adding_problem`: the LSTM and the GRU (and the plain RNN if asked)
  trained on the adding problem with the same seed and the same budget, over several
  seeds; :func:`learned_counts` and :func:`merge_comparisons` summarise and join such runs.
- :func:`ms_per_update`: the time one training update takes, per kind of layer.
"""

from __future__ import annotations

import math

import numpy as np

from rnn_helpers.data import adding_problem
from rnn_helpers.models import KINDS, make_regressor, train_regressor
from rnn_helpers.scratch import gru_step, set_gate_bias, sigmoid
from rnn_helpers.seed import SEED
from rnn_helpers.validate import check_int, check_real

__all__ = [
    "gru_step_reset_before",
    "gru_step_update_on_candidate",
    "flip_update_gate",
    "gru_survival",
    "LEARNED_BELOW",
    "compare_on_adding_problem",
    "learned_counts",
    "merge_comparisons",
    "ms_per_update",
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


# --------------------------------------------------------------------------- memory


def gru_survival(params: dict, b_z: float, steps: int = 60, *, x=None, seed: int | None = None,
                 spread: float = 0.5) -> dict:
    """How much of its initial state h0 (h_{-1}) a GRU still holds after t steps.

    Two runs of the scratch GRU read the same inputs and differ only in their initial
    state (h0 = +spread·s and -spread·s for random signs s, one pair per batch entry). Whatever
    difference is left at step t is what the network still "remembers" of h0:

        kept(t) = ||h_t^a - h_t^b|| / ||h0^a - h0^b||     (mean over the batch)

    For an update gate that stays near z = sigmoid(b_z), h' = (1-z) n + z h predicts
    kept(t) ≈ z^t: each step keeps a fraction z of the old state. The candidate n adds
    whatever it copies of the old state through W_hn, so kept(t) can exceed z^t a little.

    Inputs:
    - params: scratch GRU parameters (their update-gate bias is replaced by b_z)
    - b_z: the update gate's bias
    - steps: T, the number of steps to run
    - x: inputs (T, B, D); None draws N(0, 1) inputs with B = 8 from ``seed``
    - seed: seed of the inputs (when x is None) and the signs s; None means the course
      seed ``rnn_helpers.SEED``
    - spread: size of each entry of the initial states

    Returns a dict:
    - "t": 1 ... T (steps after h0; kept[t-1] belongs to h_{t-1} in the course's indexing,
      the state after t steps)
    - "kept": measured fraction after t steps, (T,)
    - "predicted": z**t with z = sigmoid(b_z), (T,)
    - "z": the measured update gate averaged over both runs, all steps and units
    """
    b_z = check_real("b_z", b_z)
    steps = check_int("steps", steps)
    seed = SEED if seed is None else check_int("seed", seed, minimum=0)
    p = set_gate_bias(params, "gru", "z", b_z)
    D = p["W_xh"].shape[1]
    H = p["W_hh"].shape[1]
    rng = np.random.default_rng(seed)
    if x is None:
        x = rng.standard_normal((steps, 8, D))
    else:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 3 or x.shape[0] != steps or x.shape[2] != D:
            raise ValueError(f"x: expected shape ({steps}, B, {D}), got shape {x.shape}")
    B = x.shape[1]
    signs = np.where(rng.random((B, H)) < 0.5, -1.0, 1.0)
    # Both runs in one batch: the first B rows start at +spread·s, the last B at -spread·s.
    h0 = np.concatenate([spread * signs, -spread * signs])
    xx = np.concatenate([x, x], axis=1)
    h = h0
    kept = np.empty(steps)
    z_sum = 0.0
    start = np.linalg.norm(h0[:B] - h0[B:], axis=1)
    for t in range(steps):
        h, cache = gru_step(xx[t], h, p)
        z_sum += float(cache["z"].mean())
        kept[t] = (np.linalg.norm(h[:B] - h[B:], axis=1) / start).mean()
    z_measured = z_sum / steps
    t = np.arange(1, steps + 1)
    return {"t": t, "kept": kept, "predicted": float(sigmoid(np.array([b_z]))[0]) ** t,
            "z": z_measured}


# --------------------------------------------------------------------------- the race


# A model "learned" the adding problem when its validation MSE is below this. The constant
# guess scores 2/12 ≈ 0.167 (the plain RNN's plateau); remembering only the second number
# (at most T/2 - 1 steps back) and answering u2 + 0.5 scores Var(u1) = 1/12 ≈ 0.083. Below
# 0.05 a model must be using the first number too.
LEARNED_BELOW = 0.05


def compare_on_adding_problem(seeds, seq_len: int = 20, steps: int = 300, *,
                              kinds=KINDS, hidden_size: int = 32, n_train: int = 8000,
                              n_val: int = 1000, forget_bias: float | None = 2.0,
                              eval_every: int = 25, stop_below: float | None = LEARNED_BELOW,
                              progress: bool = True) -> dict:
    """Train the plain RNN, the LSTM and/or the GRU on the adding problem, seed by seed.

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
    - "updates": kind -> array (n_seeds,): the updates each run made (fewer than ``steps``
      when it stopped early)
    - "seconds": kind -> array (n_seeds,): wall-clock time of each run, validation included
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
                for name in ("steps_to_learn", "final", "updates", "seconds", "val_step", "val")}
    constant_guess = []
    names = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
    bar = tqdm(total=len(seeds) * len(kinds) * steps,
               desc=" / ".join(names[k] for k in kinds) + " over seeds",
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
            per_kind["updates"][kind].append(history.steps)
            per_kind["seconds"][kind].append(history.seconds)
            per_kind["val_step"][kind].append(list(history.val_step))
            per_kind["val"][kind].append(list(history.val_loss))
            bar.update(steps)
    bar.close()
    out = {"seeds": seeds, "constant_guess": constant_guess}
    for name in ("steps_to_learn", "final", "updates", "seconds"):
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
    for name in ("steps_to_learn", "final", "updates", "seconds"):
        out[name] = {k: np.concatenate([r[name][k] for r in results]) for k in kinds}
    for name in ("val_step", "val"):
        out[name] = {k: [v for r in results for v in r[name][k]] for k in kinds}
    return out


def ms_per_update(kinds=KINDS, seq_len: int = 30, hidden_size: int = 32, updates: int = 40,
                  *, seed: int | None = None, n_train: int = 1024) -> dict:
    """Milliseconds of one training update (forward, backward, clipping, Adam step) of each
    kind of model, in the setup of :func:`compare_on_adding_problem` (batches of 128).

    Each model first takes a few untimed updates (the first ones pay one-time costs), then
    ``updates`` more on ``n_train`` adding-problem sequences, without validation; the time
    is that run's wall-clock time over its updates. It depends on the machine, the load and
    the library version: a measurement, not a property of the cell.

    Returns kind -> milliseconds per update.
    """
    updates = check_int("updates", updates)
    seed = SEED if seed is None else check_int("seed", seed, minimum=0)
    x, y = adding_problem(n_train, seq_len, seed=seed + 1)
    out = {}
    for kind in kinds:
        if kind not in KINDS:
            raise ValueError(f"kinds: expected names among {KINDS}, got {kind!r}")
        model = make_regressor(kind, 2, hidden_size, seed=seed)
        train_regressor(model, x, y, steps=5, seed=seed, progress=False)  # warm-up, untimed
        history = train_regressor(model, x, y, steps=updates, seed=seed, progress=False)
        out[kind] = 1000.0 * history.seconds / max(history.steps, 1)
    return out
