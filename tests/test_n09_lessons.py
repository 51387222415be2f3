"""Notebook 09's lesson module: the text and its vocabulary, baselines, the char-RNN's chunk
gradients (finite differences and torch autograd), the chunk reader, generation, the
stacked LSTM and the word-end tagging task. The seed spread is in test_n09_seed_spread.py."""

import numpy as np
import pytest
import torch

from rnn_helpers.gradcheck import numerical_gradient, rel_error
from rnn_helpers.lessons.n09_language_models import (
    VOCAB_CHARS,
    CarriedLSTMLoss,
    CarriedStateLoss,
    CharVocab,
    TextSplit,
    TrainingChunks,
    baseline_perplexities,
    bigram_probs,
    char_lstm,
    char_lstm_perplexity,
    char_rnn_chunk,
    char_rnn_logits,
    char_rnn_step,
    clean_text,
    continuation,
    effective_choices,
    eval_streams,
    init_char_rnn,
    load_text,
    lstm_parameter_count,
    next_char_probs,
    python_docs_text,
    repeat_period,
    sample_texts,
    sampling_measures,
    text_difficulty,
    train_char_lstm,
    train_char_rnn,
    unigram_probs,
    validation_topics,
    word_end_task,
    write,
)
from rnn_helpers.sampling import greedy, sampler

# --------------------------------------------------------------------------- the text


def test_vocabulary_is_fixed_and_round_trips():
    vocab = CharVocab()
    assert len(vocab) == 96 and vocab.chars == VOCAB_CHARS
    text = 'def f(x):\n    return x ** 2  # "squared"'
    ids = vocab.encode(text)
    assert ids.dtype == np.int64 and ids.shape == (len(text),)
    assert vocab.decode(ids) == text
    assert [CharVocab.shown(c) for c in " \na"] == ["␣", "↵", "a"]


@pytest.mark.parametrize("text", ["café", "tab\there", "Grüße ß"])
def test_unknown_characters_are_named(text):
    with pytest.raises(ValueError, match="prompt: characters not in the vocabulary") as info:
        CharVocab().encode(text, name="prompt")
    unknown = sorted(set(text) - set(VOCAB_CHARS))
    assert all(repr(c) in str(info.value) for c in unknown)


def test_empty_and_non_text_prompts_refused():
    with pytest.raises(ValueError, match="prompt: expected at least one character"):
        CharVocab().encode("", name="prompt")
    with pytest.raises(TypeError, match="prompt: expected a string"):
        CharVocab().encode(None, name="prompt")


def test_python_docs_text_is_long_english_in_the_vocabulary():
    text = python_docs_text()
    assert len(text) > 400_000
    assert set(text) <= set(VOCAB_CHARS)
    assert "The \"assert\" statement" in text and "’" not in text


def test_clean_text_maps_typography_and_drops_the_rest():
    assert clean_text("“Grüße” – it’s…\tok") == '"Gre" - it\'s...ok'  # ü, ß and the tab dropped
    pieces = ["a’b", "ß\n", "c—d"]
    assert "\n\n".join(clean_text(p) for p in pieces) == clean_text("\n\n".join(pieces))


def test_validation_topics_locate_the_cut():
    from pydoc_data.topics import topics

    split = load_text()
    names, share = validation_topics()
    assert names[-1] == max(topics) and names == sorted(names) and 0 < share <= 1
    # The validation part starts with the last `share` of the first topic, then the others
    # follow whole, blank lines between them.
    first, rest = clean_text(topics[names[0]]), [clean_text(topics[n]) for n in names[1:]]
    tail = first[len(first) - round(share * len(first)):]
    assert split.vocab.decode(split.val) == "\n\n".join([tail, *rest])
    assert len(split.val) > 40_000
    with pytest.raises(ValueError, match="val_fraction"):
        validation_topics(1.5)


def test_split_and_eval_streams():
    split = load_text()
    assert len(split.val) == pytest.approx(0.1 * (len(split.train) + len(split.val)), abs=1)
    inputs, targets = eval_streams(split.val, batch=50)
    L = (len(split.val) - 1) // 50
    assert inputs.shape == targets.shape == (L, 50)
    assert np.array_equal(inputs[1:], targets[:-1])
    assert np.array_equal(inputs[:, 3], split.val[3 * L:4 * L])
    with pytest.raises(ValueError, match="ids"):
        eval_streams(np.arange(10), batch=50)


# --------------------------------------------------------------------------- baselines


def test_count_models_and_baseline_order():
    ids = np.array([0, 1, 0, 1, 0, 2])
    uni = unigram_probs(ids, 4, alpha=0.0)
    assert np.allclose(uni, [3 / 6, 2 / 6, 1 / 6, 0])
    bi = bigram_probs(ids, 4, alpha=0.1)
    assert np.allclose(bi.sum(1), 1.0)
    assert bi[0, 1] > bi[0, 2] > bi[0, 3]  # 0 -> 1 twice, 0 -> 2 once, 0 -> 3 never
    ppl = baseline_perplexities(load_text())
    assert ppl["uniform"] == pytest.approx(96)
    assert ppl["uniform"] > ppl["unigram"] > 20 > ppl["bigram"] > 8


def test_text_difficulty_is_a_bigram_on_unseen_text():
    split = load_text()
    difficulty = text_difficulty(split)
    assert list(difficulty) == ["rest of the training text", "validation text"]
    cut = int(0.9 * len(split.train))
    bi = bigram_probs(split.train[:cut], 96)
    rest = split.train[cut:]
    assert difficulty["rest of the training text"] == pytest.approx(
        np.exp(-np.mean(np.log(bi[rest[:-1], rest[1:]]))))
    # What the notebook says (Python 3.11: 11.48 and 10.23): the validation text is easier.
    assert difficulty["validation text"] < difficulty["rest of the training text"] - 0.5
    with pytest.raises(ValueError, match="fit_fraction"):
        text_difficulty(split, fit_fraction=1.0)


# --------------------------------------------------------------------------- the char-RNN


def _small_model(seed=0, V=7, H=5):
    rng = np.random.default_rng(seed)
    params = init_char_rnn(V, H, seed=seed, unigram=unigram_probs(rng.integers(0, V, 50), V))
    params = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in params.items()}
    inputs = rng.integers(0, V, size=(4, 3))
    targets = rng.integers(0, V, size=(4, 3))
    h0 = 0.5 * rng.standard_normal((3, H))
    return params, inputs, targets, h0


def test_chunk_gradient_equals_finite_differences():
    params, inputs, targets, h0 = _small_model()
    _, grads, _ = char_rnn_chunk(params, inputs, targets, h0)
    numeric = numerical_gradient(lambda p: char_rnn_chunk(p, inputs, targets, h0)[0], params)
    for k in params:
        assert rel_error(grads[k], numeric[k]) <= 1e-7, k


def test_chunk_equals_torch_autograd_with_the_carried_state_as_a_constant():
    params, inputs, targets, h0 = _small_model(seed=1)
    loss, grads, h_last = char_rnn_chunk(params, inputs, targets, h0)
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    h = torch.tensor(h0)  # a constant: no gradient flows into earlier chunks
    total = 0.0
    for step in range(inputs.shape[0]):
        h = torch.tanh(t["W_xh"][:, inputs[step]].T + h @ t["W_hh"].T + t["b_h"])
        logits = h @ t["W_hy"].T + t["b_y"]
        total = total + torch.nn.functional.cross_entropy(
            logits, torch.tensor(targets[step]), reduction="sum")
    total = total / inputs.size
    total.backward()
    assert abs(loss - total.item()) <= 1e-12 * abs(total.item())
    assert np.allclose(h_last, h.detach().numpy(), rtol=1e-12)
    for k in params:
        assert rel_error(grads[k], t[k].grad.numpy()) <= 1e-7, k


def test_step_and_logits_agree_and_probs_are_a_softmax():
    params, inputs, _, _ = _small_model(seed=2)
    logits, _ = char_rnn_logits(params, inputs[:, :1])
    step, h = char_rnn_step(params), np.zeros((1, params["W_hh"].shape[0]))
    for t in range(inputs.shape[0]):
        z, h = step(h, int(inputs[t, 0]))
        assert np.allclose(z, logits[t, 0], rtol=1e-12)
    vocab = CharVocab("abcdefg")
    p = next_char_probs(params, vocab, "abc", 1.0)
    assert p.shape == (7,) and np.isclose(p.sum(), 1.0)
    assert effective_choices(np.full(7, 1 / 7)) == pytest.approx(7)
    assert effective_choices(np.eye(7)[2]) == pytest.approx(1)


def test_training_chunks_continue_each_stream_and_wrap():
    ids = np.arange(1000)
    chunks = TrainingChunks(ids, batch=4, chunk=10)
    first, second = next(chunks), next(chunks)
    assert first[2] and not second[2]
    assert np.array_equal(second[0][0], first[0][-1] + 1)  # each stream goes on where it stopped
    assert np.array_equal(first[1], first[0] + 1)
    for _ in range(chunks.per_pass - 2):
        item = next(chunks)
    assert not item[2] and next(chunks)[2]  # a new pass starts: reset the state there
    with pytest.raises(ValueError, match="too few"):
        TrainingChunks(np.arange(20), batch=4, chunk=10)


def test_carried_state_is_reset_at_a_new_pass():
    params, _, _, _ = _small_model(seed=3)
    chunks = TrainingChunks(np.random.default_rng(0).integers(0, 7, 200), batch=2, chunk=5)
    loss_fn = CarriedStateLoss()
    batch = next(chunks)
    loss_fn(params, batch)
    carried = loss_fn.h.copy()
    nxt = next(chunks)
    loss_carried, _ = loss_fn(params, nxt)
    loss_fresh, _, _ = char_rnn_chunk(params, nxt[0], nxt[1], None)
    assert loss_carried == char_rnn_chunk(params, nxt[0], nxt[1], carried)[0] != loss_fresh
    loss_fn(params, batch)  # batch[2] is True: back at the start, the state is dropped
    assert np.array_equal(loss_fn.h, char_rnn_chunk(params, batch[0], batch[1], None)[2])


def test_a_short_training_run_lowers_the_validation_perplexity():
    split = load_text()
    _, history = train_char_rnn(split, hidden_size=16, steps=30, eval_every=30, seed=0,
                                progress=False)
    ppl = history.val["perplexity"]
    assert history.val_step == [0, 30] and ppl[1] < ppl[0] and not history.diverged


# --------------------------------------------------------------------------- writing


def test_write_and_continuation_are_reproducible_and_check_the_prompt():
    split = load_text()
    params = init_char_rnn(96, 8, seed=0, unigram=unigram_probs(split.train, 96))
    a = continuation(params, split.vocab, "The ", 0.7, 50, seed=3)
    assert len(a) == 50 and a == continuation(params, split.vocab, "The ", 0.7, 50, seed=3)
    assert a != continuation(params, split.vocab, "The ", 0.7, 50, seed=4)
    assert sample_texts(params, split.vocab, "The ", 0.7, n=1, length=50, seed=3) == [a]
    step = char_rnn_step(params)
    assert write(step, np.zeros((1, 8)), split.vocab, "x", 5, greedy) == \
        write(step, np.zeros((1, 8)), split.vocab, "x", 5, sampler(1.0, top_k=1))
    with pytest.raises(ValueError, match="prompt: characters not in the vocabulary: 'é'"):
        continuation(params, split.vocab, "café", 1.0)
    with pytest.raises(ValueError, match="prompt: expected at least one character"):
        continuation(params, split.vocab, "", 1.0)
    with pytest.raises(ValueError, match="temperature"):
        continuation(params, split.vocab, "The ", 0.0)


@pytest.mark.parametrize(("text", "period"), [("     ", 1), ("abcabcab", 3), ("ab ab ab", 3),
                                               ("abcd", None), ("abab" + "x", None)])
def test_repeat_period(text, period):
    assert repeat_period(text) == period
    if period is not None:
        assert all(text[i] == text[i + period] for i in range(len(text) - period))


def test_repeat_period_is_the_shortest_and_bounded():
    assert repeat_period("aaaa") == 1 and repeat_period("abab" * 5) == 2
    assert repeat_period("abcdefg" * 3, longest=5) is None
    assert repeat_period("abcdefg" * 3, longest=7) == 7


def test_sampling_measures():
    variety, real = sampling_measures(["the cat the cat", "dog xqz"], {"the", "cat", "dog"})
    pieces = ["the ", "he c", "e ca", " cat", "cat ", "at t", "t th", " the", "the ", "he c",
              "e ca", " cat", "dog ", "og x", "g xq", " xqz"]
    assert variety == pytest.approx(len(set(pieces)) / len(pieces))
    assert real == pytest.approx(5 / 6)


# --------------------------------------------------------------------------- the torch LSTM


@pytest.mark.parametrize(("E", "H", "layers"), [(32, 64, 2), (8, 16, 1), (5, 7, 3)])
def test_parameter_count_by_hand_equals_torch(E, H, layers):
    model = char_lstm(11, embed_size=E, hidden_size=H, layers=layers, seed=0)
    assert sum(p.numel() for p in model.parameters()) == lstm_parameter_count(11, E, H, layers)


def test_char_lstm_seeding_leaves_the_global_generator_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    a = char_lstm(11, seed=5)
    assert torch.equal(torch.rand(3), expected)
    b = char_lstm(11, seed=5)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


def test_carried_lstm_state_is_detached_between_chunks():
    model = char_lstm(7, embed_size=4, hidden_size=5, seed=0)
    loss_fn = CarriedLSTMLoss()
    chunks = TrainingChunks(np.random.default_rng(0).integers(0, 7, 400), batch=2, chunk=6)
    loss_fn(model, next(chunks)).backward()
    assert loss_fn.state[0].grad_fn is not None  # the new state is part of this chunk's graph
    second = loss_fn(model, next(chunks))
    second.backward()  # would fail ("backward through the graph a second time") without detach


def test_lstm_training_records_samples_and_perplexity():
    split = load_text()
    model = char_lstm(96, embed_size=8, hidden_size=16, seed=0,
                      unigram=unigram_probs(split.train, 96))
    untrained = char_lstm_perplexity(model, split.val)
    run = train_char_lstm(model, split, steps=40, chunk=16, batch=8, lr=0.03, sample_every=20,
                          sample_length=20, progress=False)
    assert list(run.samples) == [0, 20, 40] and all(len(t) == 20 for t in run.samples.values())
    assert run.history.val_step == [0, 20, 40]
    assert len(run.history.val["perplexity"]) == 1  # measured once, at the end
    assert run.history.val["perplexity"][0] < untrained


# --------------------------------------------------------------------------- tagging


def test_word_end_task_labels_and_mask():
    x, labels, mask = word_end_task(400, length=16, seed=0)
    assert x.shape == labels.shape == mask.shape == (16, 400)
    letters = x > 0
    assert not ((x[:-1] == 0) & (x[1:] == 0)).any()  # single spaces only
    assert np.array_equal(mask[:-1], letters[:-1]) and not mask[-1].any()
    assert np.array_equal(labels[:-1].astype(bool), letters[:-1] & (x[1:] == 0))
    # The past tells nothing: after a letter, a space follows half of the time.
    assert labels[mask].mean() == pytest.approx(0.5, abs=0.02)


def test_split_dataclass_holds_the_vocabulary():
    split = load_text()
    assert isinstance(split, TextSplit) and isinstance(split.vocab, CharVocab)
