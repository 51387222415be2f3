"""Notebook 08's loops and the course's torch models it uses (forecaster, classifier, packing)."""

import numpy as np
import pytest
import torch
from torch import nn

from rnn_helpers.checks import check_last_real_state, show_solution
from rnn_helpers.counting import KINDS, count_parameters
from rnn_helpers.data import make_review_corpus, sine_dataset
from rnn_helpers.lessons import n08_rnns_in_practice as practice
from rnn_helpers.lessons.n08_rnns_in_practice import (
    accuracy,
    closed_loop_forecast,
    comparison_table,
    course_parameter_count,
    predict,
    review_corpora,
    review_tensors,
    train_classifier,
    train_forecaster,
)
from rnn_helpers.models import ReviewClassifier, SineForecaster, last_real_state, packed_final_state


@pytest.fixture(autouse=True)
def one_thread():
    """Small models: one thread is fast and keeps the runs identical."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def padded_batch(rng, T, B, D, lengths=None):
    lengths = rng.integers(1, T + 1, size=B) if lengths is None else np.asarray(lengths)
    x = torch.as_tensor(rng.standard_normal((T, B, D)), dtype=torch.float32)
    for b, n in enumerate(lengths):
        x[n:, b] = 0.0  # padding
    return x, torch.as_tensor(lengths, dtype=torch.int64)


# --------------------------------------------------------------------------- sine forecaster


def test_sine_forecaster_counts_440_plus_21_and_torch_460():
    model = SineForecaster(20)
    assert count_parameters(model.rnn) == 460  # W_ih 20 + W_hh 400 + b_ih 20 + b_hh 20
    assert course_parameter_count(model.rnn) == 440 == 460 - 20
    assert count_parameters(model.head) == 21
    assert model(torch.zeros(10, 7, 1)).shape == (7, 1)


def test_course_count_keeps_both_gru_biases_but_one_lstm_bias():
    D, H = 3, 5
    assert course_parameter_count(nn.LSTM(D, H)) == count_parameters(nn.LSTM(D, H)) - 4 * H
    assert course_parameter_count(nn.GRU(D, H)) == count_parameters(nn.GRU(D, H))


@pytest.mark.parametrize("block, redundant", [(0, True), (1, True), (2, False)])
def test_gru_gate_biases_act_through_their_sum_but_the_candidates_do_not(block, redundant):
    """Why counting all 6H GRU biases is a convention: for r (block 0) and z (block 1) only
    b_i + b_h matters; for the candidate n (block 2) b_hn sits inside the reset gate."""
    torch.manual_seed(0)
    gru = nn.GRU(3, 4).double()
    x = torch.randn(6, 2, 3, dtype=torch.float64)
    before = gru(x)[0]
    with torch.no_grad():  # move 0.7 from one bias vector to the other: the same sum
        gru.bias_ih_l0[4 * block : 4 * block + 4] += 0.7
        gru.bias_hh_l0[4 * block : 4 * block + 4] -= 0.7
    after = gru(x)[0]
    assert torch.allclose(before, after, rtol=0, atol=1e-12) == redundant


def test_train_forecaster_learns_and_is_deterministic():
    data = sine_dataset(10, n_points=400, noise=0.1, seed=3)
    runs = []
    for _ in range(2):
        model = SineForecaster(8, seed=1)
        history = train_forecaster(model, *data, epochs=5, progress=False)
        runs.append((history, predict(model, data[2])))
    history, preds = runs[0]
    assert len(history.val["train"]) == len(history.val_loss) == 6
    assert history.val_loss[-1] < 0.5 * history.val_loss[0]
    assert history.val["train"] == runs[1][0].val["train"]
    np.testing.assert_array_equal(preds, runs[1][1])
    assert preds.shape == (data[3].shape[0],)


def test_closed_loop_feeds_predictions_back():
    class MeanOfWindow(nn.Module):
        def forward(self, x):
            return x.mean(dim=0)  # (T, B, 1) -> (B, 1)

    window = np.arange(4, dtype=np.float64)
    got = closed_loop_forecast(MeanOfWindow(), window, horizon=3)
    values = list(window)
    expected = []
    for _ in range(3):
        nxt = float(np.mean(values[-4:]))
        expected.append(nxt)
        values.append(nxt)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    with pytest.raises(ValueError, match="horizon"):
        closed_loop_forecast(MeanOfWindow(), window, horizon=0)


# --------------------------------------------------------------------------- variable lengths


@pytest.mark.parametrize("kind", KINDS)
def test_packed_final_state_equals_gathering_at_lengths_minus_one(kind):
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    layer = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind](3, 4)
    x, lengths = padded_batch(rng, T=7, B=5, D=3, lengths=[7, 3, 1, 5, 7])
    h, _ = layer(x)
    packed = packed_final_state(layer, x, lengths)
    gathered = last_real_state(h, lengths)
    torch.testing.assert_close(packed, gathered)
    # Each sequence alone, without padding, ends in the same state.
    for b, n in enumerate(lengths.tolist()):
        alone, _ = layer(x[:n, b : b + 1])
        torch.testing.assert_close(gathered[b], alone[-1, 0])
    # h[-1] is right only for the full-length sequences.
    wrong = (h[-1] - gathered).abs().amax(dim=1)
    assert torch.all(wrong[lengths == 7] == 0)
    assert torch.all(wrong[lengths < 7] > 1e-4)


def test_last_real_state_rejects_bad_input():
    h = torch.zeros(4, 3, 2)
    with pytest.raises(ValueError, match="lengths must have shape"):
        last_real_state(h, [1, 2])
    with pytest.raises(ValueError, match="1..T = 1..4"):
        last_real_state(h, [0, 2, 3])
    with pytest.raises(ValueError, match="1..T = 1..4"):
        last_real_state(h, [5, 2, 3])
    with pytest.raises(ValueError, match=r"\(T, B, H\)"):
        last_real_state(torch.zeros(4, 3), [1, 2, 3])


# --------------------------------------------------------------------------- review classifier


def small_task(seed=0, n=120):
    train = make_review_corpus(n, 6, 12, seed=seed)
    test = make_review_corpus(60, 6, 12, seed=seed + 100)
    return train.vocab, review_tensors(*train.batch()), review_tensors(*test.batch())


@pytest.mark.parametrize("kind", KINDS)
def test_classifier_readouts_and_batch_invariance(kind):
    vocab, _, test = small_task()
    model = ReviewClassifier(len(vocab), kind, embed_dim=5, hidden_size=6, seed=2).eval()
    with torch.no_grad():
        gather = model(test.ids, test.lengths)
        packed = model(test.ids, test.lengths, readout="packed")
        padded = model(test.ids, test.lengths, readout="padded")
        torch.testing.assert_close(gather, packed)
        short = test.lengths < test.ids.shape[0]
        assert short.any()
        assert (padded[short] - gather[short]).abs().amax() > 1e-4
        # The right readout does not depend on the batch: one review alone gives the same.
        b = int(torch.nonzero(short)[0])
        n = int(test.lengths[b])
        alone = model(test.ids[:n, b : b + 1], test.lengths[b : b + 1])
        torch.testing.assert_close(alone[0], gather[b])
    with pytest.raises(ValueError, match="readout"):
        model(test.ids, test.lengths, readout="last")


def test_classifier_parameters_and_gate_bias():
    V, D, H = 56, 16, 32
    counts = {k: count_parameters(ReviewClassifier(V, k)) for k in KINDS}
    head, emb = H * 2 + 2, V * D
    assert counts == {
        "rnn": emb + (D * H + H * H + 2 * H) + head,
        "lstm": emb + 4 * (D * H + H * H + 2 * H) + head,
        "gru": emb + 3 * (D * H + H * H + 2 * H) + head,
    }
    for kind in ("lstm", "gru"):
        rnn = ReviewClassifier(V, kind, gate_bias=2.0).rnn
        total = (rnn.bias_ih_l0 + rnn.bias_hh_l0).detach()
        torch.testing.assert_close(total[H : 2 * H], torch.full((H,), 2.0))
    embedding = ReviewClassifier(V, "gru").embedding
    assert torch.all(embedding.weight[0] == 0)  # the padding id reads as zeros
    with pytest.raises(ValueError, match="kind"):
        ReviewClassifier(V, "transformer")


def test_train_classifier_history_and_table():
    vocab, train, test = small_task()
    model = ReviewClassifier(len(vocab), "gru", embed_dim=5, hidden_size=6)
    result = train_classifier(model, train, test, epochs=2, progress=False)
    assert result.name == "GRU" and result.n_parameters == count_parameters(model)
    assert len(result.train_loss) == 2 and len(result.test_accuracy) == 3
    assert 0.0 <= result.final_accuracy <= 1.0
    assert result.final_accuracy == accuracy(model, test)
    table = comparison_table([result]).splitlines()
    assert table[0].split() == ["model", "parameters", "training", "s", "test", "accuracy"]
    assert table[1].startswith("GRU") and table[1].endswith("%")


def test_review_tensors_checks_shapes():
    with pytest.raises(ValueError, match="expected ids"):
        review_tensors(np.zeros((3, 4)), np.ones(3), np.zeros(4))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_gated_models_beat_the_plain_rnn_on_far_away_verdicts(seed):
    """The notebook's claim (its own run is seed 0), with the notebook's settings."""
    train_corpus, test_corpus = review_corpora(seed)
    train, test = review_tensors(*train_corpus.batch()), review_tensors(*test_corpus.batch())
    acc = {}
    for kind in KINDS:
        model = ReviewClassifier(len(train_corpus.vocab), kind, seed=seed)
        acc[kind] = train_classifier(model, train, test, seed=seed, progress=False).final_accuracy
    assert acc["rnn"] < 0.7, acc
    assert min(acc["lstm"], acc["gru"]) > 0.9, acc
    assert min(acc["lstm"], acc["gru"]) - acc["rnn"] > 0.25, acc


# --------------------------------------------------------------------------- the exercise


def verdict(capsys, fn):
    result = check_last_real_state(fn)
    out = capsys.readouterr().out
    assert out.count("\n") == 1, out
    return result, out.strip()


def test_checker_accepts_the_library_and_other_correct_answers(capsys):
    assert verdict(capsys, last_real_state) == (
        True, "✓ last_real_state matches the library on 5 random padded batches")

    def loop(h, lengths):
        return torch.stack([h[int(n) - 1, b] for b, n in enumerate(lengths)])

    def with_gather(h, lengths):
        index = (lengths - 1).view(1, -1, 1).expand(1, h.shape[1], h.shape[2])
        return h.gather(0, index)[0]

    def as_numpy(h, lengths):
        return h.numpy()[lengths.numpy() - 1, np.arange(h.shape[1])]

    for fn in (loop, with_gather, as_numpy):
        assert verdict(capsys, fn)[0] is True


@pytest.mark.parametrize(
    ("fn", "words"),
    [
        (lambda h, n: h[-1], "h[-1], the padded last step"),
        (lambda h, n: h[0], "h[0], the first step"),
        (lambda h, n: h[torch.clamp(n, max=h.shape[0] - 1), torch.arange(h.shape[1])],
         "off by one"),
        (lambda h, n: h[n, torch.arange(h.shape[1])], "raised IndexError"),
        (lambda h, n: h[n - 1], "index the batch too"),
        (lambda h, n: None, "returned None"),
        (lambda h, n: "h", "returned a str"),
    ],
)
def test_checker_rejects_typical_mistakes_with_a_hint(capsys, fn, words):
    result, line = verdict(capsys, fn)
    assert result is False
    assert line.startswith("✗ not yet") and words in line, line


def test_checker_catches_in_place_changes_and_non_functions(capsys):
    def sneaky(h, lengths):
        lengths -= 1
        return h[lengths, torch.arange(h.shape[1])]

    result, line = verdict(capsys, sneaky)
    assert result is False and "in place" in line
    result, line = verdict(capsys, 42)
    assert result is False and "function itself" in line

    def not_implemented(h, lengths):
        raise NotImplementedError

    assert "fill in the body" in verdict(capsys, not_implemented)[1]


def test_show_solution_prints_the_reference(capsys):
    """Notebook 08's "Stuck?" line: rnn_helpers.checks.show_solution(last_real_state)."""
    show_solution(last_real_state)
    out = capsys.readouterr().out
    assert "rnn_helpers/models.py" in out
    assert "def last_real_state" in out and "lengths - 1" in out
    assert not hasattr(practice, "show_solution"), "one show_solution, in rnn_helpers.checks"
