"""The course's torch models: small sequence regressors (notebooks 06 and 07), trained in
seconds through the course's one torch loop.

The notebooks build the LSTM and the GRU from scratch in NumPy and prove them equal to
torch's; for *training* on a long-range task they then use torch, which is faster. A
model here is one recurrent layer (``nn.RNN``, ``nn.LSTM`` or ``nn.GRU``) and a linear
head on the last hidden state:

    h_t = cell(x_t, h_{t-1})   for t = 0 ... T-1,     y_hat = W_hy h_{T-1} + b_y

Inputs are time-major, as everywhere in the course: x is (T, B, D), y is (B, O).
Training is seeded (the initial weights, the batch order), runs a fixed number of steps
or until a time budget is used up, clips the global gradient norm and returns a
:class:`rnn_helpers.train.History` (training runs in the course's one torch loop). Every
``seed`` argument defaults to ``None``, which means the course
seed ``rnn_helpers.SEED`` (``RNN_COURSE_SEED``, default 0); models compared in one
experiment should be given the same seed.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from rnn_helpers.counting import KINDS
from rnn_helpers.scratch import gate_rows
from rnn_helpers.seed import SEED
from rnn_helpers.train import History
from rnn_helpers.train.torch_loop import torch_shuffled_batches, train_torch
from rnn_helpers.validate import check_choice, check_int

__all__ = [
    "KINDS",
    "ReviewClassifier",
    "last_real_state",
    "packed_final_state",
    "SineForecaster",
    "SequenceRegressor",
    "set_torch_gate_bias",
    "make_regressor",
    "train_regressor",
    "evaluate_mse",
]

_LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def _resolve_seed(seed) -> int:
    """``None`` -> the course seed; otherwise an integer >= 0."""
    return SEED if seed is None else check_int("seed", seed, minimum=0)


def set_torch_gate_bias(layer: nn.Module, gate: str, value: float) -> None:
    """Set the bias of gate ``gate`` of a one-layer ``nn.LSTM`` / ``nn.GRU``, in place, by
    the rule of :func:`rnn_helpers.scratch.set_gate_bias`: the sum b_ih + b_hh of the
    gate's block is ``value``, all of it in b_ih (b_hh's block is 0)."""
    kind = "lstm" if isinstance(layer, nn.LSTM) else "gru"
    rows = gate_rows(kind, gate, layer.hidden_size)
    with torch.no_grad():
        layer.bias_ih_l0[rows] = value
        layer.bias_hh_l0[rows] = 0.0


class SequenceRegressor(nn.Module):
    """One recurrent layer (RNN, LSTM or GRU) and a linear head on its last hidden state.

    Args:
        kind: "rnn" (tanh), "lstm" or "gru".
        input_size: D, features per time step.
        hidden_size: H.
        output_size: O, numbers predicted per sequence.
        forget_bias: for an LSTM, the value the forget gate's bias starts at (the sum
            b_ih + b_hh of the f block, the scratch ``b``, by :func:`set_torch_gate_bias`'s
            rule); None keeps torch's random initial bias. Ignored for
            the other kinds.

    Attributes:
        rnn: the ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` layer (time-major, one layer).
        head: the ``nn.Linear(H, O)`` output layer.
    """

    def __init__(self, kind: str, input_size: int, hidden_size: int, output_size: int = 1,
                 forget_bias: float | None = None):
        super().__init__()
        self.kind = check_choice("kind", kind, KINDS)
        D = check_int("input_size", input_size)
        H = check_int("hidden_size", hidden_size)
        O = check_int("output_size", output_size)
        self.rnn = _LAYERS[kind](D, H)
        self.head = nn.Linear(H, O)
        if forget_bias is not None and kind == "lstm":
            set_torch_gate_bias(self.rnn, "f", forget_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (T, B, D) -> predictions (B, O) from the last hidden state."""
        out, _ = self.rnn(x)
        return self.head(out[-1])


def make_regressor(kind: str, input_size: int = 2, hidden_size: int = 32, output_size: int = 1,
                   *, seed: int | None = None, forget_bias: float | None = None,
                   dtype: torch.dtype = torch.float32) -> SequenceRegressor:
    """A :class:`SequenceRegressor` whose initial weights depend only on ``seed``.

    ``seed=None`` uses the course seed ``rnn_helpers.SEED``. torch's global generator is
    seeded just for the construction, then put back as it was, so building a model does
    not change random numbers drawn elsewhere.
    """
    seed = _resolve_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = SequenceRegressor(kind, input_size, hidden_size, output_size, forget_bias)
    return model.to(dtype)


def _as_tensor(name: str, a, dtype: torch.dtype, ndim: int) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(a), dtype=dtype)
    if t.ndim != ndim:
        shape = "(T, N, D)" if ndim == 3 else "(N, O)"
        raise ValueError(f"{name}: expected shape {shape}, got shape {tuple(t.shape)}")
    return t


def evaluate_mse(model: nn.Module, x, y, batch_size: int = 1024) -> float:
    """Mean squared error of ``model`` on (x (T, N, D), y (N, O)), without gradients."""
    dtype = next(model.parameters()).dtype
    x = _as_tensor("x", x, dtype, 3)
    y = _as_tensor("y", y, dtype, 2)
    total = 0.0
    with torch.no_grad():
        for s in range(0, x.shape[1], batch_size):
            pred = model(x[:, s : s + batch_size])
            total += float(((pred - y[s : s + batch_size]) ** 2).sum())
    return total / y.numel()


def train_regressor(model: SequenceRegressor, x_train, y_train, x_val=None, y_val=None, *,
                    steps: int = 300, time_budget: float | None = None, batch_size: int = 128,
                    lr: float = 1e-2, clip=("norm", 1.0), eval_every: int = 25,
                    seed: int | None = None, progress: bool = True,
                    num_threads: int | None = None,
                    stop_below: float | None = None) -> History:
    """Train ``model`` in place with Adam on the MSE, in the course's one torch loop
    (:func:`rnn_helpers.train.train_torch`); return its :class:`rnn_helpers.train.History`.

    Each step draws a mini-batch of ``batch_size`` training sequences (full batches of a
    fresh shuffle each epoch, from a generator seeded by ``seed``, so the run is
    repeatable), computes the MSE of the prediction from the last hidden state,
    backpropagates through time, clips the gradient (``clip``: the course's one clipping
    argument, ("norm", max_norm), ("value", limit) or None) and takes an Adam step.

    Args:
        model: a :class:`SequenceRegressor` (or any module mapping (T, B, D) -> (B, O)).
        x_train, y_train: (T, N, D) and (N, O) arrays (NumPy or torch).
        x_val, y_val: optional validation data; its MSE is measured before training and
            every ``eval_every`` steps, and at the end (``history.val_loss``).
        steps: how many updates at most.
        time_budget: optional seconds; training stops early when they are used up.
        batch_size, lr: as usual (Adam with torch's defaults, written out).
        clip: ("norm", 1.0) (default), ("value", limit) or None.
        eval_every: validation period in steps.
        seed: seed of the batch order; None means the course seed ``rnn_helpers.SEED``.
        progress: show a tqdm bar (tqdm.auto: a widget in Jupyter, text elsewhere).
        num_threads: None (default) keeps torch's thread count, which importing
            ``rnn_helpers`` sets to 1 (``RNN_COURSE_THREADS`` overrides it); an int sets it
            for this run only and restores it afterwards. (torch's ``nn.RNN`` can be several
            times slower with 2 threads than with 1: its many small per-step operations each
            wait for the other thread.)
        stop_below: optional; stop as soon as a validation MSE (measured every
            ``eval_every`` steps) falls below it. Needs validation data. ``history.steps``
            then tells how many updates it took.

    A NaN/inf loss or gradient stops the run and sets ``history.diverged``; nothing is
    raised.
    """
    steps = check_int("steps", steps)
    seed = _resolve_seed(seed)
    batch_size = check_int("batch_size", batch_size)
    eval_every = check_int("eval_every", eval_every)
    if (x_val is None) != (y_val is None):
        raise ValueError("give both x_val and y_val, or neither")
    if stop_below is not None and x_val is None:
        raise ValueError("stop_below needs validation data: give x_val and y_val")
    dtype = next(model.parameters()).dtype
    x_train = _as_tensor("x_train", x_train, dtype, 3)
    y_train = _as_tensor("y_train", y_train, dtype, 2)
    if x_train.shape[1] != y_train.shape[0]:
        raise ValueError(f"y_train: expected {x_train.shape[1]} rows (x_train's N), "
                         f"got {y_train.shape[0]}")
    evaluate = None
    if x_val is not None:
        x_val = _as_tensor("x_val", x_val, dtype, 3)
        y_val = _as_tensor("y_val", y_val, dtype, 2)

        def evaluate(m):
            return {"loss": evaluate_mse(m, x_val, y_val)}

    def loss_fn(m, idx):
        return torch.mean((m(x_train[:, idx]) - y_train[idx]) ** 2)

    n = x_train.shape[1]
    batch_size = min(batch_size, n)
    threads_before = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(check_int("num_threads", num_threads))
    try:
        return train_torch(model, loss_fn,
                           torch_shuffled_batches(n, batch_size, seed, drop_last=True),
                           steps=steps, lr=lr, clip=clip, evaluate=evaluate, eval_every=eval_every,
                           eval_at_start=True, time_budget=time_budget, stop_below=stop_below,
                           progress=progress,
                           desc=f"training {getattr(model, 'kind', '') or 'model'}")
    finally:
        torch.set_num_threads(threads_before)


# --------------------------------------------------------------------------- notebook 08


class SineForecaster(nn.Module):
    """A window of values -> the next value: ``nn.RNN(1, H)`` then ``nn.Linear(H, 1)``.

    The RNN runs over the window (T, B, 1); the linear head reads its last hidden state
    h_{T-1} (B, H) and returns the prediction (B, 1).

    Args:
        hidden_size: H, 20 in the course (440 + 21 parameters in the course's count).
        seed: seed of torch's default initialisation, so a model is the same every run
            (the notebook passes ``rnn_helpers.SEED``). The weights are those that
            ``torch.manual_seed(seed)`` followed by creating the layers gives, but torch's
            global generator is put back as it was afterwards.
    """

    def __init__(self, hidden_size: int = 20, *, seed: int = 0):
        super().__init__()
        with torch.random.fork_rng(devices=[]):  # seed only this construction
            torch.manual_seed(seed)
            self.rnn = nn.RNN(1, hidden_size)
            self.head = nn.Linear(hidden_size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (T, B, 1) -> prediction (B, 1)."""
        h, _ = self.rnn(x)  # h: (T, B, H), every step's state
        return self.head(h[-1])


_NAMES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


class ReviewClassifier(nn.Module):
    """Token ids -> Embedding -> RNN / LSTM / GRU -> the last real state -> Linear -> logits.

    Args:
        vocab_size: number of token ids (id 0 is the padding, whose embedding stays 0).
        kind: "rnn", "lstm" or "gru".
        embed_dim: size D of a token's embedding vector.
        hidden_size: H.
        num_classes: outputs of the linear head (2: negative, positive).
        gate_bias: the LSTM's forget-gate bias and the GRU's update-gate bias at the start
            (the sum b_ih + b_hh of that gate's block). A positive value makes the cell
            keep its state by default (f close to 1, z close to 1): "remember unless told
            otherwise". Jozefowicz et al. (2015) recommend a forget-gate bias of 1 for the
            LSTM; the default 2 (sigmoid(2) is about 0.88) is this course's choice, used for the
            GRU's update gate too. A plain RNN has no gate, so it is unused there. None
            keeps torch's initialisation.
        seed: seed of the initialisation (torch's global generator is put back as it was
            afterwards). Models compared in one experiment get the same seed.

    ``forward(ids, lengths, readout=...)`` takes ids (T, B) and lengths (B,) and returns
    logits (B, num_classes). ``readout`` chooses the state the head reads:
    "gather" (default) runs the padded batch and takes :func:`last_real_state`;
    "packed" uses :func:`packed_final_state` (the same numbers, torch's idiom);
    "padded" takes h[-1] of the padded run: the mistake notebook 08 shows.
    """

    def __init__(
        self,
        vocab_size: int,
        kind: str = "gru",
        *,
        embed_dim: int = 16,
        hidden_size: int = 32,
        num_classes: int = 2,
        gate_bias: float | None = 2.0,
        seed: int = 0,
    ):
        super().__init__()
        if kind not in _LAYERS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        self.kind = kind
        with torch.random.fork_rng(devices=[]):  # seed only this construction
            torch.manual_seed(seed)
            self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
            self.rnn = _LAYERS[kind](embed_dim, hidden_size)
            self.head = nn.Linear(hidden_size, num_classes)
        if gate_bias is not None and kind != "rnn":
            set_torch_gate_bias(self.rnn, "f" if kind == "lstm" else "z", gate_bias)

    @property
    def name(self) -> str:
        return _NAMES[self.kind]

    def forward(self, ids: torch.Tensor, lengths, readout: str = "gather") -> torch.Tensor:
        x = self.embedding(ids)  # (T, B, D)
        if readout == "packed":
            last = packed_final_state(self.rnn, x, lengths)
        elif readout in ("gather", "padded"):
            h, _ = self.rnn(x)  # (T, B, H), padding steps included
            last = last_real_state(h, lengths) if readout == "gather" else h[-1]
        else:
            raise ValueError(f"readout must be 'gather', 'packed' or 'padded', got {readout!r}")
        return self.head(last)


def _check_lengths(h, lengths) -> torch.Tensor:
    if not isinstance(h, torch.Tensor) or h.ndim != 3:
        shape = tuple(h.shape) if hasattr(h, "shape") else type(h).__name__
        raise ValueError(f"h must be a tensor of shape (T, B, H), got {shape}")
    lengths = torch.as_tensor(lengths, dtype=torch.int64)
    T, B, _ = h.shape
    if lengths.shape != (B,):
        raise ValueError(f"lengths must have shape (B,) = ({B},), got {tuple(lengths.shape)}")
    if B and (lengths.min() < 1 or lengths.max() > T):
        raise ValueError(
            f"lengths must be in 1..T = 1..{T}, got min {int(lengths.min())} and "
            f"max {int(lengths.max())}"
        )
    return lengths


def last_real_state(h: torch.Tensor, lengths) -> torch.Tensor:
    """Each sequence's hidden state at its last *real* step, not at the padded end.

    Sequence b of a padded batch is real at steps 0 .. lengths[b]-1 and padding after.
    Its state h[-1] has also read the padding; the state to classify from is
    h[lengths[b] - 1, b].

    Args:
        h: all hidden states of a padded batch, (T, B, H), time-major.
        lengths: the true lengths (B,), each in 1..T (a tensor, array or list of ints).

    Returns:
        (B, H): row b is ``h[lengths[b] - 1, b]``.
    """
    lengths = _check_lengths(h, lengths)
    batch = torch.arange(h.shape[1])
    return h[lengths - 1, batch]


def packed_final_state(rnn: nn.Module, x: torch.Tensor, lengths) -> torch.Tensor:
    """Run ``rnn`` over a padded batch packed by length; return each sequence's final h.

    ``pack_padded_sequence`` tells the layer where every sequence ends, so it stops each
    one at its last real step and never reads the padding; the returned state is the one
    :func:`last_real_state` picks from the padded run.

    Args:
        rnn: a single-layer, unidirectional, time-major nn.RNN / nn.LSTM / nn.GRU.
        x: padded inputs (T, B, D).
        lengths: true lengths (B,), each in 1..T.

    Returns:
        (B, H), the hidden state h (not the LSTM's cell state) at each last real step.
    """
    lengths = torch.as_tensor(lengths, dtype=torch.int64).cpu()
    packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
    _, state = rnn(packed)
    h_n = state[0] if isinstance(rnn, nn.LSTM) else state  # (num_layers, B, H)
    return h_n[-1]
