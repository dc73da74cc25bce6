"""helpers.fashion (IDX reading, folder discovery, download with checksums, offline message) and
helpers.softmax (index and slice minibatches, shuffling once, one epoch, evaluation, confusion
matrix)."""
import functools
import gzip
import hashlib
import http.server
import shutil
import struct
import threading
from pathlib import Path

import pytest
import torch
from torch import nn

from helpers import fashion
from helpers.fashion import FashionMNISTError, load_fashion_mnist, read_idx
from helpers.softmax import (confusion_matrix, evaluate, minibatch_indices, minibatch_slices, shuffle_rows,
                             train_epoch)

EXCERPT = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "fashion-mnist-excerpt"
NAMES = list(fashion.FILES.values())


def idx_bytes(array):
    """The IDX encoding of a uint8 tensor: magic 0x0000080N, big-endian sizes, then the bytes."""
    header = bytes([0, 0, 0x08, array.dim()]) + struct.pack(f">{array.dim()}I", *array.shape)
    return header + bytes(array.flatten().tolist())


def write_set(folder, n_train=5, n_test=3, gz=True, seed=0):
    """Write four small IDX files; return the uint8 images and labels written."""
    g = torch.Generator().manual_seed(seed)
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = torch.randint(0, 256, (n, 28, 28), generator=g, dtype=torch.uint8)
        labels = torch.randint(0, 10, (n,), generator=g, dtype=torch.uint8)
        for kind, array, dims in (("images", images, 3), ("labels", labels, 1)):
            name = f"{split}-{kind}-idx{dims}-ubyte"
            data = idx_bytes(array)
            if gz:
                (folder / (name + ".gz")).write_bytes(gzip.compress(data))
            else:
                (folder / name).write_bytes(data)
        written[split] = (images, labels)
    return written


@pytest.fixture(autouse=True)
def no_env(monkeypatch):
    """Each test chooses its own folder: FASHION_MNIST_DIR (set by make test) is removed here."""
    monkeypatch.delenv(fashion.ENV_VAR, raising=False)


def test_reads_idx_files_it_wrote(tmp_path):
    written = write_set(tmp_path)
    d = load_fashion_mnist(tmp_path, download=False)
    images, labels = written["train"]
    assert d.X_train.shape == (5, 784) and d.X_train.dtype == torch.float32
    assert d.y_train.dtype == torch.int64 and d.y_train.tolist() == labels.long().tolist()
    assert torch.equal(d.X_train, images.reshape(5, 784).float() / 255)
    assert d.X_test.shape == (3, 784) and d.y_test.tolist() == written["t10k"][1].long().tolist()
    assert float(d.X_train.min()) >= 0 and float(d.X_train.max()) <= 1
    assert d.classes == fashion.CLASSES and len(d.classes) == 10 and d.classes[9] == "Ankle boot"
    X_train, y_train, X_test, y_test, classes = d   # unpacks as documented
    assert X_test is d.X_test


def test_reads_uncompressed_files(tmp_path):
    written = write_set(tmp_path, gz=False)
    assert load_fashion_mnist(tmp_path, download=False).y_test.tolist() == written["t10k"][1].long().tolist()


def test_truncated_file_gives_a_clear_error(tmp_path):
    write_set(tmp_path, gz=False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(FashionMNISTError, match="truncated.*header promises 3920 values.*holds 3820"):
        load_fashion_mnist(tmp_path, download=False)


def test_truncated_gzip_gives_a_clear_error(tmp_path):
    write_set(tmp_path)
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-6])
    with pytest.raises(FashionMNISTError, match="t10k-labels-idx1-ubyte.gz is not a readable gzip file"):
        load_fashion_mnist(tmp_path, download=False)


def test_corrupted_files_give_clear_errors(tmp_path):
    write_set(tmp_path)
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    data = bytearray(path.read_bytes())
    data[20:30] = b"\xff" * 10        # damage the compressed stream
    path.write_bytes(bytes(data))
    with pytest.raises(FashionMNISTError, match="train-labels-idx1-ubyte.gz is not a readable gzip file"):
        load_fashion_mnist(tmp_path, download=False)
    path.write_bytes(gzip.compress(b"<html>Not Found</html>"))   # what a bad mirror may serve
    with pytest.raises(FashionMNISTError, match="not an IDX file of unsigned bytes"):
        load_fashion_mnist(tmp_path, download=False)


def test_mismatched_files_are_refused(tmp_path):
    write_set(tmp_path)
    other = write_set(tmp_path / "other", n_train=4)
    shutil.copy(tmp_path / "other" / "train-labels-idx1-ubyte.gz", tmp_path)
    assert len(other["train"][1]) == 4
    with pytest.raises(FashionMNISTError, match="train split: 5 images but 4 labels"):
        load_fashion_mnist(tmp_path, download=False)


def test_read_idx_shapes(tmp_path):
    path = tmp_path / "x-idx2-ubyte"
    path.write_bytes(idx_bytes(torch.arange(6, dtype=torch.uint8).reshape(2, 3)))
    out = read_idx(path)
    assert out.dtype == torch.uint8 and out.tolist() == [[0, 1, 2], [3, 4, 5]]
    path.write_bytes(b"\x00\x00\x08")
    with pytest.raises(FashionMNISTError, match="not an IDX file"):
        read_idx(path)


def test_environment_variable_names_the_folder(tmp_path, monkeypatch):
    written = write_set(tmp_path / "elsewhere", seed=3)
    monkeypatch.setenv(fashion.ENV_VAR, str(tmp_path / "elsewhere"))
    d = load_fashion_mnist(download=False)
    assert d.y_train.tolist() == written["train"][1].long().tolist()


def test_an_explicit_root_wins_over_the_environment(tmp_path, monkeypatch):
    write_set(tmp_path / "env", n_train=2)
    write_set(tmp_path / "mine", n_train=7)
    monkeypatch.setenv(fashion.ENV_VAR, str(tmp_path / "env"))
    assert len(load_fashion_mnist(tmp_path / "mine", download=False).X_train) == 7


def test_finds_torchvision_layout(tmp_path, monkeypatch):
    raw = tmp_path / "torchvision-root" / "FashionMNIST" / "raw"
    written = write_set(raw, gz=False)      # torchvision keeps the extracted files in raw/
    d = load_fashion_mnist(tmp_path / "torchvision-root", download=False)
    assert d.y_test.tolist() == written["t10k"][1].long().tolist()
    monkeypatch.setenv(fashion.ENV_VAR, str(tmp_path / "torchvision-root"))
    assert len(load_fashion_mnist(download=False).X_train) == 5


def test_default_folder_is_under_the_repository_and_ignored():
    assert fashion.DEFAULT_ROOT == fashion.REPO / "data" / "fashion-mnist"
    gitignore = (fashion.REPO / ".gitignore").read_text().split()
    assert "data/" in gitignore


def test_offline_message_names_the_files_and_the_folder(tmp_path):
    write_set(tmp_path)
    (tmp_path / "t10k-images-idx3-ubyte.gz").unlink()
    (tmp_path / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FashionMNISTError) as err:
        load_fashion_mnist(tmp_path, mirrors=["http://127.0.0.1:9/"], timeout=5)
    message = str(err.value)
    assert "t10k-images-idx3-ubyte.gz" in message and "train-labels-idx1-ubyte.gz" in message
    assert "train-images-idx3-ubyte.gz\n" not in message.split("download")[0]   # present: not listed as missing
    assert str(tmp_path) in message and fashion.ENV_VAR in message
    assert "http://127.0.0.1:9/t10k-images-idx3-ubyte.gz" in message
    assert not list(tmp_path.glob("*.part")), "a failed download leaves no partial file"


# --- downloads, against a local HTTP server serving the excerpt ---------------------------------

class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def mirror(tmp_path):
    """An HTTP server on 127.0.0.1 serving a copy of the shared excerpt under /fashion/."""
    if not (EXCERPT / NAMES[0]).exists():
        pytest.skip(f"the shared excerpt is not at {EXCERPT}")
    served = tmp_path / "served"
    shutil.copytree(EXCERPT, served / "fashion")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/fashion/", served / "fashion"
    server.shutdown()
    server.server_close()


def md5_of(path):
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_downloads_missing_files_with_checksums(tmp_path, mirror):
    url, served = mirror
    sums = {name: md5_of(served / name) for name in NAMES}
    target = tmp_path / "data"
    dead = "http://127.0.0.1:9/"          # nothing listens there: the next mirror is tried
    d = load_fashion_mnist(target, mirrors=[dead, url], md5=sums)
    assert sorted(p.name for p in target.iterdir()) == sorted(NAMES)
    assert len(d.X_train) == 3443 and len(d.X_test) == 1000
    assert torch.equal(d.y_test, load_fashion_mnist(EXCERPT, download=False).y_test)


def test_wrong_checksum_is_refused(tmp_path, mirror):
    url, _ = mirror
    target = tmp_path / "data"
    with pytest.raises(FashionMNISTError, match="wrong checksum") as err:
        load_fashion_mnist(target, mirrors=[url])        # the official sums: the excerpt does not match
    assert "t10k-labels-idx1-ubyte.gz" in str(err.value)
    assert not any(p.suffix in {".gz", ".part"} for p in target.iterdir()), "a file that failed its check is not kept"


def test_only_missing_files_are_downloaded(tmp_path, mirror):
    url, served = mirror
    target = tmp_path / "data"
    target.mkdir()
    for name in NAMES[:3]:
        shutil.copy(served / name, target)
    (served / NAMES[0]).unlink()     # the mirror no longer has a file we already hold
    d = load_fashion_mnist(target, mirrors=[url], md5={NAMES[3]: md5_of(served / NAMES[3])})
    assert len(d.y_test) == 1000


def test_shared_excerpt_loads_as_documented():
    if not (EXCERPT / NAMES[0]).exists():
        pytest.skip(f"the shared excerpt is not at {EXCERPT}")
    d = load_fashion_mnist(EXCERPT, download=False)
    assert d.X_train.shape == (3443, 784) and d.X_test.shape == (1000, 784)
    counts = torch.bincount(torch.cat([d.y_train, d.y_test]), minlength=10).tolist()
    assert min(counts) >= 415 and max(counts) <= 470


# --- helpers.softmax ----------------------------------------------------------------------------

def test_minibatch_indices_cover_every_row_once():
    g = torch.Generator().manual_seed(0)
    batches = minibatch_indices(10, 4, generator=g)
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(torch.cat(batches).tolist()) == list(range(10))
    again = minibatch_indices(10, 4, generator=torch.Generator().manual_seed(0))
    assert [b.tolist() for b in again] == [b.tolist() for b in batches]
    assert torch.cat(minibatch_indices(5, 2, shuffle=False)).tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError):
        minibatch_indices(5, 0)


def test_minibatch_slices_are_views_covering_every_row_once_in_random_order():
    blocks = minibatch_slices(10, 4, generator=torch.Generator().manual_seed(0))
    assert sorted((s.start, s.stop) for s in blocks) == [(0, 4), (4, 8), (8, 10)]
    X = torch.arange(20.0).reshape(10, 2)
    storage = X.untyped_storage().data_ptr()
    assert all(X[s].untyped_storage().data_ptr() == storage and X[s].data_ptr() == X[s.start].data_ptr()
               for s in blocks)                                        # views of X's memory: no copy
    assert [(s.start, s.stop) for s in minibatch_slices(10, 4, shuffle=False)] == [(0, 4), (4, 8), (8, 10)]
    orders = {tuple(s.start for s in minibatch_slices(100, 10, generator=torch.Generator().manual_seed(k)))
              for k in range(5)}
    assert len(orders) > 1 and all(sorted(o) == list(range(0, 100, 10)) for o in orders)
    again = minibatch_slices(100, 10, generator=torch.Generator().manual_seed(3))
    assert again == minibatch_slices(100, 10, generator=torch.Generator().manual_seed(3))
    assert minibatch_slices(0, 4) == []
    with pytest.raises(ValueError):
        minibatch_slices(5, 0)


def test_shuffle_rows_moves_rows_together_and_leaves_the_inputs_alone():
    X = torch.arange(30.0).reshape(10, 3)
    y = torch.arange(10)
    Xs, ys = shuffle_rows(X, y, generator=torch.Generator().manual_seed(0))
    assert ys.tolist() != list(range(10)) and sorted(ys.tolist()) == list(range(10))
    assert torch.equal(Xs, X[ys])                         # the same permutation for both
    assert torch.equal(X, torch.arange(30.0).reshape(10, 3)) and Xs.data_ptr() != X.data_ptr()
    again = shuffle_rows(X, y, generator=torch.Generator().manual_seed(0))
    assert torch.equal(again[0], Xs)
    with pytest.raises(ValueError, match="same number of rows"):
        shuffle_rows(X, y[:9])
    with pytest.raises(ValueError):
        shuffle_rows()


def test_train_epoch_on_slices_visits_each_row_once_and_lowers_the_loss():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(300, 5, generator=g)
    y = (X[:, 0] > 0).long() + (X[:, 1] > 0).long()
    X, y = shuffle_rows(X, y, generator=g)
    seen = []

    class Recorder(nn.Linear):
        def forward(self, x):
            seen.append(x.data_ptr())
            return super().forward(x)

    torch.manual_seed(0)
    model = Recorder(5, 3)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    frozen = torch.optim.SGD(model.parameters(), lr=0.0)       # lr 0: the running mean is the loss on X
    before, _ = evaluate(model, loss_fn, X, y)
    assert train_epoch(model, loss_fn, frozen, X, y, batch_size=32, generator=g,
                       minibatches="slices") == pytest.approx(before, rel=1e-5)   # weighted by block size (last: 12)
    seen.clear()
    mean_loss = train_epoch(model, loss_fn, optimizer, X, y, batch_size=32, generator=g, minibatches="slices")
    after, _ = evaluate(model, loss_fn, X, y)
    assert after < before and isinstance(mean_loss, float)
    row = X.stride(0) * X.element_size()
    starts = sorted((p - X.data_ptr()) // row for p in seen[:-1])   # the last call is evaluate's
    assert starts == list(range(0, 300, 32))                        # views into X, each block once
    with pytest.raises(ValueError, match="indices"):
        train_epoch(model, loss_fn, optimizer, X, y, minibatches="rows")


def test_train_epoch_lowers_the_loss_and_steps_the_scheduler():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(300, 5, generator=g)
    y = (X[:, 0] > 0).long() + (X[:, 1] > 0).long()
    torch.manual_seed(0)
    model = nn.Linear(5, 3)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / 100)
    before, _ = evaluate(model, loss_fn, X, y)
    frozen = torch.optim.SGD(model.parameters(), lr=0.0)
    assert train_epoch(model, loss_fn, frozen, X, y, batch_size=32, generator=g) == pytest.approx(before, rel=1e-5)
    mean_loss = train_epoch(model, loss_fn, optimizer, X, y, batch_size=32, generator=g, scheduler=scheduler)
    after, acc = evaluate(model, loss_fn, X, y)
    assert isinstance(mean_loss, float) and after < before and 0 <= acc <= 1
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.5 * (1 - 10 / 100))   # 10 minibatches


def test_evaluate_builds_no_graph():
    model = nn.Linear(3, 2)
    loss, acc = evaluate(model, nn.CrossEntropyLoss(), torch.randn(4, 3), torch.tensor([0, 1, 1, 0]))
    assert isinstance(loss, float) and isinstance(acc, float)
    assert all(p.grad is None for p in model.parameters())


def test_confusion_matrix_counts():
    cm = confusion_matrix(torch.tensor([0, 0, 1, 2, 2, 2]), torch.tensor([0, 1, 1, 2, 0, 2]), 3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert int(cm.sum()) == 6
