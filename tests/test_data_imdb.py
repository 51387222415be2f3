"""Tests of rnn_helpers.data.imdb without the network: a small archive in the IMDb layout,
downloads from file:// URLs and from an http server on 127.0.0.1, and the failure messages."""

import functools
import hashlib
import http.server
import io
import socket
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest

from rnn_helpers.data import imdb as datasets
from rnn_helpers.data.imdb import (
    ChecksumMismatchError,
    DatasetUnavailableError,
    DownloadFailedError,
    build_vocabulary,
    default_cache_dir,
    download_file,
    encode_reviews,
    fetch_imdb,
    load_imdb,
    read_imdb_archive,
    tokenize,
)

# (path inside the archive, text). Ids are out of order on purpose; unsup and the url
# lists are in the real archive too and must be skipped.
FILES = [
    ("aclImdb/README", "Large Movie Review Dataset v1.0"),
    ("aclImdb/imdb.vocab", "the\nand\n"),
    ("aclImdb/train/urls_pos.txt", "http://www.imdb.com/title/tt0000001/usercomments"),
    ("aclImdb/train/pos/10_9.txt", "A wonderful film.<br /><br />I loved it, don't miss it!"),
    ("aclImdb/train/pos/2_8.txt", "Loved the cast and the music."),
    ("aclImdb/train/neg/7_1.txt", "Awful. I hated the plot and the acting."),
    ("aclImdb/train/neg/3_2.txt", "Boring film, the music was awful too."),
    ("aclImdb/train/unsup/0_0.txt", "An unlabelled review that must not appear."),
    ("aclImdb/test/pos/0_10.txt", "Brilliant and wonderful."),
    ("aclImdb/test/neg/1_3.txt", "Tedious and awful."),
    ("aclImdb/test/neg/5_4.txt", ""),
]


def make_archive(path: Path) -> Path:
    """Write a .tar.gz with FILES (and their folders) in the aclImdb_v1 layout."""
    with tarfile.open(path, "w:gz") as tar:
        folders = sorted({str(Path(name).parent) for name, _ in FILES})
        for folder in folders:
            info = tarfile.TarInfo(folder)
            info.type = tarfile.DIRTYPE
            tar.addfile(info)
        for name, text in FILES:
            data = text.encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def archive(tmp_path):
    (tmp_path / "source").mkdir()
    return make_archive(tmp_path / "source" / "aclImdb_v1.tar.gz")


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed on exit: nothing listens there any more


@pytest.fixture
def http_server(archive):
    """A quiet http server on 127.0.0.1 serving the archive's folder; yields its base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(archive.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def one_line(err: BaseException) -> str:
    text = str(err)
    assert "\n" not in text and len(text) < 300, text
    return text


# --------------------------------------------------------------------------- reading


def test_read_archive_parses_the_layout(archive):
    texts, labels = read_imdb_archive(archive, "train")
    # negatives then positives, each by increasing id; unsup, README and url lists skipped
    assert texts == [
        "Boring film, the music was awful too.",
        "Awful. I hated the plot and the acting.",
        "Loved the cast and the music.",
        "A wonderful film.<br /><br />I loved it, don't miss it!",
    ]
    assert labels.dtype == np.int64 and labels.tolist() == [0, 0, 1, 1]
    texts, labels = read_imdb_archive(archive, "test")
    assert texts == ["Tedious and awful.", "", "Brilliant and wonderful."]
    assert labels.tolist() == [0, 0, 1]
    texts, labels = read_imdb_archive(archive, "train", max_per_class=1)
    assert labels.tolist() == [0, 1] and texts[1] == "Loved the cast and the music."


def test_read_archive_samples_each_label_from_a_seed(archive):
    train_neg = ["Boring film, the music was awful too.", "Awful. I hated the plot and the acting."]
    train_pos = ["Loved the cast and the music.",
                 "A wonderful film.<br /><br />I loved it, don't miss it!"]  # fmt: skip
    picked = set()
    for seed in range(12):
        texts, labels = read_imdb_archive(archive, "train", max_per_class=1, seed=seed)
        assert labels.tolist() == [0, 1] and texts[0] in train_neg and texts[1] in train_pos
        assert read_imdb_archive(archive, "train", max_per_class=1, seed=seed)[0] == texts
        picked.add(tuple(texts))
    assert len(picked) > 1  # not always the first by id: a sample
    # Kept in id order; with room for every review a seed changes nothing.
    for seed in (None, 0, 5):
        texts, _ = read_imdb_archive(archive, "train", max_per_class=2, seed=seed)
        assert texts == train_neg + train_pos
    # The two splits draw from different streams of the same seed.
    firsts = {tuple(read_imdb_archive(archive, "test", max_per_class=1, seed=seed)[0])
              for seed in range(12)}  # fmt: skip
    assert firsts <= {("Tedious and awful.", "Brilliant and wonderful."),
                      ("", "Brilliant and wonderful.")} and len(firsts) == 2  # fmt: skip


def test_read_archive_rejects_bad_arguments(archive, tmp_path):
    with pytest.raises(ValueError, match="split"):
        read_imdb_archive(archive, "unsup")
    with pytest.raises(ValueError, match="max_per_class"):
        read_imdb_archive(archive, "train", max_per_class=0)
    with pytest.raises(TypeError, match="seed"):
        read_imdb_archive(archive, "train", max_per_class=1, seed=0.5)
    empty = tmp_path / "empty.tar.gz"
    with tarfile.open(empty, "w:gz"):
        pass
    with pytest.raises(ValueError, match="no aclImdb/train"):
        read_imdb_archive(empty, "train")


def test_tokenize_vocabulary_and_encoding():
    assert tokenize("A wonderful film.<br /><br />I loved it, DON'T miss it!") == [
        "a", "wonderful", "film", "i", "loved", "it", "don't", "miss", "it"]  # fmt: skip
    assert tokenize("") == []
    token_lists = [["b", "a", "a", "c"], ["a", "b", "d"], ["c", "e"]]
    vocab = build_vocabulary(token_lists, max_size=10, min_count=2)
    # counts a 3, b 2, c 2, d 1, e 1: by count, ties alphabetically, singletons dropped
    assert vocab.itos == ["<pad>", "<unk>", "a", "b", "c"]
    assert build_vocabulary(token_lists, max_size=3, min_count=1).itos == ["<pad>", "<unk>", "a"]
    with pytest.raises(ValueError, match="max_size"):
        build_vocabulary(token_lists, max_size=2)
    ids, lengths = encode_reviews([["a", "b", "zzz"], [], ["c"] * 10], vocab, max_len=4)
    assert ids.shape == (4, 3) and lengths.tolist() == [3, 1, 4]
    assert ids[:, 0].tolist() == [2, 3, 1, 0]  # zzz is unknown (1), then padding (0)
    assert ids[:, 1].tolist() == [1, 0, 0, 0]  # an empty review becomes one <unk>
    assert ids[:, 2].tolist() == [4, 4, 4, 4]  # truncated to max_len


# --------------------------------------------------------------------------- downloading


def test_download_from_a_file_url_verifies_and_caches(archive, tmp_path, capsys):
    cache = tmp_path / "cache"
    url = archive.as_uri()
    path = fetch_imdb(cache, url=url, sha256=sha(archive), size=archive.stat().st_size,
                      progress=False)  # fmt: skip
    assert path == cache / "aclImdb_v1.tar.gz" and sha(path) == sha(archive)
    assert not list(cache.glob("*.part"))
    # Cached: no download needed, even with downloading off and the source gone.
    archive.unlink()
    assert fetch_imdb(cache, download=False, url=url, sha256=sha(path)) == path
    # sha256=None: downloads without a check and prints the hash to confirm it.
    make_archive(archive)
    other = fetch_imdb(tmp_path / "other", url=url, sha256=None, size=None, progress=False)
    assert f"sha256 {sha(other)}" in capsys.readouterr().out


def test_download_from_a_local_http_server_with_progress(archive, http_server, tmp_path):
    dest = tmp_path / "cache" / "aclImdb_v1.tar.gz"
    got = download_file(f"{http_server}/aclImdb_v1.tar.gz", dest, sha256=sha(archive),
                        size=archive.stat().st_size, progress=True)  # fmt: skip
    assert got == dest and dest.read_bytes() == archive.read_bytes()


def test_load_imdb_end_to_end(archive, http_server, tmp_path):
    data = load_imdb(tmp_path / "cache", download=True, url=f"{http_server}/aclImdb_v1.tar.gz",
                     sha256=sha(archive), size=None, max_len=5, vocab_size=50,
                     progress=False)  # fmt: skip
    train_ids, train_lengths, train_labels = data.train
    test_ids, test_lengths, test_labels = data.test
    assert train_ids.shape == (5, 4) and train_labels.tolist() == [0, 0, 1, 1]
    assert test_ids.shape[1] == 3 and test_lengths.tolist() == [3, 1, 3]
    assert data.vocab.itos[2] == "the"  # the most frequent training word
    assert data.test_texts[0] == "Tedious and awful."
    # The same tensors train the notebook's classifier.
    from rnn_helpers.lessons.n08_rnns_in_practice import (
        ReviewClassifier,
        review_tensors,
        train_classifier,
    )

    model = ReviewClassifier(len(data.vocab), "gru", embed_dim=4, hidden_size=4)
    result = train_classifier(model, review_tensors(*data.train), review_tensors(*data.test),
                              epochs=1, progress=False)  # fmt: skip
    assert len(result.test_accuracy) == 2


def test_checksum_mismatch_deletes_the_download(archive, http_server, tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(ChecksumMismatchError) as info:
        fetch_imdb(cache, url=f"{http_server}/aclImdb_v1.tar.gz", sha256="0" * 64, size=None,
                   progress=False)  # fmt: skip
    text = one_line(info.value)
    assert "failed its checksum" in text and "expected 000000000000" in text
    assert sha(archive)[:12] in text
    assert not any(cache.iterdir())  # neither the file nor a .part is left
    assert isinstance(info.value, DatasetUnavailableError)


def test_size_mismatch_is_reported(archive, tmp_path):
    with pytest.raises(ChecksumMismatchError) as info:
        download_file(archive.as_uri(), tmp_path / "x.tar.gz", size=10, progress=False)
    assert "expected 10" in one_line(info.value)
    assert not (tmp_path / "x.tar.gz").exists()


def test_offline_connection_refused_gives_one_clear_line(tmp_path):
    port = unused_port()
    url = f"http://127.0.0.1:{port}/aclImdb_v1.tar.gz"
    with pytest.raises(DownloadFailedError) as info:
        fetch_imdb(tmp_path / "cache", url=url, progress=False)
    text = one_line(info.value)
    assert text == (f"Could not download aclImdb_v1.tar.gz from {url} (connection refused): "
                    "is this machine offline? The course runs without it.")  # fmt: skip
    assert not list((tmp_path / "cache").glob("*"))


def test_http_error_and_missing_file_are_download_failures(http_server, tmp_path):
    with pytest.raises(DownloadFailedError, match="HTTP 404"):
        download_file(f"{http_server}/nothing.tar.gz", tmp_path / "n.tar.gz", progress=False)
    with pytest.raises(DownloadFailedError, match="Could not download"):
        download_file((tmp_path / "missing.tar.gz").as_uri(), tmp_path / "m.tar.gz",
                      progress=False)  # fmt: skip


def test_not_cached_and_download_off_says_how_to_turn_it_on(tmp_path):
    with pytest.raises(DownloadFailedError) as info:
        load_imdb(tmp_path / "cache")  # download=False is the default
    text = one_line(info.value)
    assert "DOWNLOAD_IMDB = True" in text and "not in the cache" in text


def test_a_corrupted_cached_file_is_fetched_again(archive, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "aclImdb_v1.tar.gz").write_bytes(b"half a download")
    path = fetch_imdb(cache, url=archive.as_uri(), sha256=sha(archive), size=None,
                      progress=False)  # fmt: skip
    assert sha(path) == sha(archive)


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.delenv(datasets.CACHE_ENV, raising=False)
    assert default_cache_dir() == Path.home() / ".cache" / "rnn_course"
    monkeypatch.setenv(datasets.CACHE_ENV, str(tmp_path / "elsewhere"))
    assert default_cache_dir() == tmp_path / "elsewhere"


def test_published_imdb_constants_are_well_formed():
    assert datasets.IMDB_URL.endswith("/" + datasets.IMDB_FILENAME)
    assert len(datasets.IMDB_SHA256) == 64 and int(datasets.IMDB_SHA256, 16) >= 0
    assert datasets.IMDB_SIZE == 84_125_825
