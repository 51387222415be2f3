"""Notebook 10's data and models: the reversal strings (seeded, split by sequence, padded),
the torch attention equal to the NumPy one, padding that changes nothing, greedy decoding,
and the accuracy bookkeeping."""

import numpy as np
import pytest
import torch

from rnn_helpers.attention import dot_product_attention
from rnn_helpers.data.reversal import (
    ALPHABET,
    GO_ID,
    PAD_ID,
    decode_ids,
    encode_strings,
    reversal_batch,
    reversal_strings,
)
from rnn_helpers.lessons import n10_seq2seq_and_attention as n10

# --------------------------------------------------------------------------- data


def test_strings_are_seeded_distinct_and_split_by_sequence():
    a = reversal_strings(500, 90, min_len=4, max_len=12, seed=3)
    b = reversal_strings(500, 90, min_len=4, max_len=12, seed=3)
    c = reversal_strings(500, 90, min_len=4, max_len=12, seed=4)
    assert a.train == b.train and a.val == b.val
    assert a.train != c.train
    everything = a.train + a.val
    assert len(set(everything)) == len(everything)  # distinct, so no string in both parts
    assert set("".join(everything)) <= set(ALPHABET)
    lengths = np.array([len(s) for s in a.val])
    assert np.array_equal(np.bincount(lengths)[4:], np.full(9, 10))  # 10 of each length
    assert {len(s) for s in a.train} == set(range(4, 13))
    assert a.vocab_size == 28


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"n_train": 0}, r"^n_train: expected an integer >= 1"),
        ({"n_val": 2.5}, r"^n_val: expected an integer"),
        ({"min_len": 5, "max_len": 4}, r"^max_len: expected an integer >= 5"),
        ({"alphabet": "aa"}, r"^alphabet: expected a string of at least 2 distinct"),
        ({"n_train": 40, "min_len": 1, "max_len": 1, "alphabet": "ab"},
         r"^n_train \+ n_val: expected at most half of the 2 distinct"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, pattern):
    args = {"n_train": 10, "n_val": 5, **kwargs}
    with pytest.raises(ValueError, match=pattern):
        reversal_strings(**args)


def test_encoding_padding_and_teacher_forcing_inputs():
    ids, lengths = encode_strings(["ba", "cab"], "abc")
    np.testing.assert_array_equal(ids, [[3, 4], [2, 2], [PAD_ID, 3]])  # time-major, padded
    np.testing.assert_array_equal(lengths, [2, 3])
    assert decode_ids(ids[:, 1], "abc") == "cab"
    assert decode_ids([GO_ID, 2, 99, PAD_ID, 3], "abc") == "^a?"
    batch = reversal_batch(["hello", "cat"])
    assert decode_ids(batch.tgt[:, 0]) == "olleh" and decode_ids(batch.tgt[:, 1]) == "tac"
    np.testing.assert_array_equal(batch.tgt_in[0], [GO_ID, GO_ID])
    np.testing.assert_array_equal(batch.tgt_in[1:], batch.tgt[:-1])
    with pytest.raises(ValueError, match=r"^strings\[1\]: expected letters of the alphabet"):
        encode_strings(["ab", "aZ"], "ab")
    with pytest.raises(ValueError, match=r"^strings\[0\]: expected a non-empty string"):
        encode_strings([""], "ab")
    with pytest.raises(ValueError, match=r"^strings: expected a list of strings"):
        encode_strings("abc", "abc")


# --------------------------------------------------------------------------- models


def test_torch_attention_equals_the_numpy_function():
    rng = np.random.default_rng(0)
    q, k = rng.standard_normal((3, 4, 6)), rng.standard_normal((3, 5, 6))
    v = rng.standard_normal((3, 5, 2))
    mask = np.arange(5)[None, None, :] < np.array([5, 3, 1])[:, None, None]
    for m in (None, mask):
        out, w = n10.torch_attention(*(torch.from_numpy(a) for a in (q, k, v)),
                                     None if m is None else torch.from_numpy(m))
        ref_out, ref_w = dot_product_attention(q, k, v, m)
        np.testing.assert_allclose(out.numpy(), ref_out, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(w.numpy(), ref_w, rtol=1e-12, atol=1e-14)


@pytest.fixture(scope="module")
def models():
    return {kind: n10.make_seq2seq(kind, 28, seed=5) for kind in n10.KINDS}


def test_seeded_construction_leaves_the_global_generator_alone(models):
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    again = n10.make_seq2seq("attention", 28, seed=5)
    after = torch.rand(3)
    assert torch.equal(before, after)
    for (name, p), (_, p2) in zip(models["attention"].named_parameters(), again.named_parameters(),
                                  strict=True):
        assert torch.equal(p, p2), name
    # The two kinds built with one seed share embeddings, encoder and decoder; heads differ.
    plain = n10.make_seq2seq("plain", 28, seed=5)
    heads = ("combine.", "out.", "query.", "key.")
    for name, p in plain.named_parameters():
        if not name.startswith(heads):
            assert torch.equal(p, dict(again.named_parameters())[name]), name
    with pytest.raises(ValueError, match=r"^kind: expected one of 'plain', 'attention'"):
        n10.make_seq2seq("transformer", 28)


@pytest.mark.parametrize("kind", n10.KINDS)
def test_padding_changes_nothing(models, kind):
    """A string's scores are the same alone or in a batch padded for a longer string."""
    model = models[kind]
    batch = reversal_batch(["abc", "hello", "z"])
    tensors = [torch.from_numpy(a) for a in (batch.src, batch.lengths, batch.tgt_in)]
    with torch.no_grad():
        together = model(*tensors)
        for b, s in enumerate(["abc", "hello", "z"]):
            alone = reversal_batch([s])
            one = model(*(torch.from_numpy(a) for a in (alone.src, alone.lengths, alone.tgt_in)))
            torch.testing.assert_close(together[: len(s), b], one[:, 0], rtol=1e-5, atol=1e-6)


def test_greedy_decoding_shapes_and_masked_weights(models):
    src, lengths = encode_strings(["abc", "hello", "z"])
    ids, weights = n10.greedy_decode(models["attention"], src, lengths, steps=6)
    assert ids.shape == (6, 3) and ids.min() >= 2  # only letters are written
    assert weights.shape == (3, 6, 5)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-5)
    for b, n in enumerate(lengths):
        assert np.all(weights[b, :, n:] == 0.0)  # padding gets no attention
    ids_plain, none = n10.greedy_decode(models["plain"], src, lengths, steps=2)
    assert ids_plain.shape == (2, 3) and none is None
    with pytest.raises(ValueError, match=r"^model: expected an attention model"):
        n10.attention_example(models["plain"], "abc", ALPHABET)
    example = n10.attention_example(models["attention"], "hello", ALPHABET)
    assert example.target == "olleh" and len(example.written) == 5
    assert example.weights.shape == (5, 5)


def test_length_accuracy_counts_what_greedy_decoding_writes(models, monkeypatch):
    strings = ["abcd", "efgh", "abcdefgh", "hgfedcba", "xyzxyzxyzxyz"]

    def perfect_but_one(model, src, lengths, steps):
        ids, _ = encode_strings([s[::-1] for s in strings])
        ids = np.vstack([ids, np.full((steps - ids.shape[0], ids.shape[1]), 2)])
        ids[1, 2] = 25  # "abcdefgh" reversed, letter 1 wrong
        return ids, None

    monkeypatch.setattr(n10, "greedy_decode", perfect_but_one)
    acc = n10.length_accuracy(models["plain"], strings, ALPHABET)
    np.testing.assert_array_equal(acc.lengths, [4, 8, 12])
    np.testing.assert_allclose(acc.per_letter, [1.0, (1.0 + 7 / 8) / 2, 1.0])
    np.testing.assert_allclose(acc.exact, [1.0, 0.5, 1.0])
    np.testing.assert_array_equal(acc.count, [2, 2, 1])
    np.testing.assert_allclose(acc.by_step, np.ones(12))
    assert acc.by_step_forced.shape == (12,)
    assert acc.at(4, 8) == pytest.approx((1.0 + 15 / 16) / 2)


def test_teacher_forced_accuracy_reads_the_true_letters(models):
    model = models["attention"]
    strings = ["abcdef", "qwerty", "zzzzzz"]
    forced = n10.forced_step_accuracy(model, strings, ALPHABET)
    b = reversal_batch(strings)
    with torch.no_grad():
        logits = model(*(torch.from_numpy(a) for a in (b.src, b.lengths, b.tgt_in)))
    best = logits[:, :, 2:].argmax(-1).numpy() + 2
    np.testing.assert_allclose(forced, (best == b.tgt).mean(axis=1))
    with pytest.raises(ValueError, match=r"^strings: expected strings of one length"):
        n10.forced_step_accuracy(model, ["ab", "abc"], ALPHABET)


def test_forced_attention_weights_are_rows_of_a_softmax_over_the_real_letters(models):
    strings = ["abc", "hello", "z"]
    alphabet = n10.reversal_task(0).alphabet
    weights = n10.forced_attention_weights(models["attention"], strings, alphabet)
    assert weights.shape == (3, 5, 5)
    for b, s in enumerate(strings):
        n = len(s)
        assert np.allclose(weights[b, :n].sum(axis=1), 1.0)
        assert np.all(weights[b, :, n:] == 0)  # padding never gets weight
    with pytest.raises(ValueError, match="^model: expected an attention model"):
        n10.forced_attention_weights(models["plain"], strings, alphabet)
