"""Fashion-MNIST from its IDX files, without torchvision and with a clear offline story. Lesson 4.

    from helpers import load_fashion_mnist
    data = load_fashion_mnist()           # X_train (N, 784) float32 in [0, 1], y_train (N,) int64, ...
    X_train, y_train, X_test, y_test, classes = data

Where the files are looked for (the first folder holding all four wins):

1. `root`, when given;
2. else the folder named by the environment variable FASHION_MNIST_DIR, when set
   (`make test` sets it to ../shared/data/fashion-mnist-excerpt when that folder exists);
3. else the default `data/fashion-mnist/` under the repository (git-ignored), then `data/`.

In each of these folders the files may sit directly, or in torchvision's own layout
`FashionMNIST/raw/` (so `torchvision.datasets.FashionMNIST(root=...)` downloads are reused),
gzipped (`train-images-idx3-ubyte.gz`) or not (`train-images-idx3-ubyte`). When files are missing
they are downloaded from MIRRORS into the first folder, each checked against its MD5; without
network the error says which files are needed and where to put them.
"""
import gzip
import hashlib
import os
import struct
import urllib.error
import urllib.request
import zlib
from pathlib import Path
from typing import NamedTuple

import torch

ENV_VAR = "FASHION_MNIST_DIR"
REPO = Path(__file__).resolve().parent.parent
DEFAULT_ROOT = REPO / "data" / "fashion-mnist"

CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")

FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}

# The official files' MD5 sums (the same as torchvision's).
MD5 = {
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}

# Tried in order; a file name is appended to each. Pass `mirrors=` to use others.
MIRRORS = (
    "https://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
)

_HOME = "https://github.com/zalandoresearch/fashion-mnist (folder data/fashion)"


class FashionMNISTError(RuntimeError):
    """Fashion-MNIST could not be found, downloaded or read; the message says what to do."""


class FashionMNIST(NamedTuple):
    """The loaded data set; unpacks as X_train, y_train, X_test, y_test, classes."""
    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor
    classes: tuple


def read_idx(path):
    """Return the uint8 tensor stored in an IDX file (gzipped or not), shaped as its header says.

    Raises FashionMNISTError naming the file when it is truncated, corrupted or not IDX ubyte."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    except (OSError, EOFError, zlib.error) as err:
        raise FashionMNISTError(f"{path} is not a readable gzip file ({err}); it is probably "
                                "truncated or corrupted: delete it and download it again") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08 or not 1 <= data[3] <= 4:
        raise FashionMNISTError(f"{path} is not an IDX file of unsigned bytes (header {data[:4].hex()!r}, "
                                "expected 000008 then the number of dimensions); delete it and download it again")
    ndim = data[3]
    if len(data) < 4 + 4 * ndim:
        raise FashionMNISTError(f"{path} is truncated: its header is cut off")
    shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    expected = 1
    for size in shape:
        expected *= size
    body = len(data) - 4 - 4 * ndim
    if body != expected:
        what = "truncated" if body < expected else "longer than its header says"
        raise FashionMNISTError(f"{path} is {what}: the header promises {expected} values "
                                f"({' x '.join(map(str, shape))}), the file holds {body}; "
                                "delete it and download it again")
    values = torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8) if expected else \
        torch.zeros(0, dtype=torch.uint8)
    return values.reshape(shape)


def _candidates(root):
    """The folders to search, in order: the chosen one first (where downloads go)."""
    if root is not None:
        bases = [Path(root).expanduser()]
    elif os.environ.get(ENV_VAR):
        bases = [Path(os.environ[ENV_VAR]).expanduser()]
    else:
        bases = [DEFAULT_ROOT, DEFAULT_ROOT.parent]
    folders = []
    for base in bases:
        folders += [base, base / "FashionMNIST" / "raw"]
    return folders


def _find(folder, name):
    """Return the path of `name` (or its un-gzipped form) in `folder`, or None."""
    for candidate in (folder / name, folder / name[:-3]):
        if candidate.is_file():
            return candidate
    return None


def _md5(path):
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(name, folder, mirrors, md5, timeout):
    """Fetch `name` from the first mirror that serves it with the right MD5; return its path or
    raise FashionMNISTError listing what each mirror answered."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    partial = folder / (name + ".part")
    problems = []
    for mirror in mirrors:
        url = mirror.rstrip("/") + "/" + name
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response, open(partial, "wb") as out:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
        except (urllib.error.URLError, OSError, ValueError) as err:
            problems.append(f"{url}: {getattr(err, 'reason', err)}")
            partial.unlink(missing_ok=True)
            continue
        want = md5.get(name)
        got = _md5(partial)
        if want is not None and got != want:
            problems.append(f"{url}: wrong checksum (md5 {got}, expected {want})")
            partial.unlink(missing_ok=True)
            continue
        partial.replace(target)
        return target
    raise FashionMNISTError("; ".join(problems) or "no mirror to try")


def _offline_message(missing, folder, problems):
    names = "\n".join(f"  {name}" for name in missing)
    tried = "\n".join(f"  {p}" for p in problems) or "  (download=False: nothing was tried)"
    return (f"Fashion-MNIST: these files are missing:\n{names}\n"
            f"The download did not work:\n{tried}\n"
            f"Without network, get the four files from {_HOME} (or a copy from a classmate; "
            f"torchvision's FashionMNIST/raw/ folder works too) and put them in\n  {folder}\n"
            f"or point the environment variable {ENV_VAR} at the folder that holds them.")


def load_fashion_mnist(root=None, *, download=True, mirrors=None, md5=None, timeout=30):
    """Return FashionMNIST(X_train (N, 784) float32 in [0, 1], y_train (N,) int64, X_test, y_test,
    classes: the ten class names). Images are flattened row by row: `X[i].view(28, 28)` shows one.

    Files are looked for in `root`, else $FASHION_MNIST_DIR, else data/fashion-mnist/ (see the
    module's docstring); missing ones are downloaded from `mirrors` (default MIRRORS), checked
    against `md5` ({file name: md5}, default MD5). Used in lesson 4."""
    mirrors = MIRRORS if mirrors is None else tuple(mirrors)
    md5 = MD5 if md5 is None else dict(md5)
    folders = _candidates(root)
    paths = None
    for folder in folders:
        found = {key: _find(folder, name) for key, name in FILES.items()}
        if all(found.values()):
            paths = found
            break
    if paths is None:
        target = folders[0]
        found = {key: _find(target, name) for key, name in FILES.items()}
        missing = [FILES[key] for key, path in found.items() if path is None]
        problems = []
        if download:
            for key, path in found.items():
                if path is None:
                    try:
                        found[key] = _download(FILES[key], target, mirrors, md5, timeout)
                    except FashionMNISTError as err:
                        problems.append(f"{FILES[key]}: {err}")
        if problems or not download:
            raise FashionMNISTError(_offline_message(missing, target, problems))
        paths = found

    tensors = {key: read_idx(path) for key, path in paths.items()}
    for split in ("train", "test"):
        images, labels = tensors[f"{split}_images"], tensors[f"{split}_labels"]
        if images.dim() != 3 or tuple(images.shape[1:]) != (28, 28) or labels.dim() != 1:
            raise FashionMNISTError(f"{paths[f'{split}_images']}: expected 28 x 28 images and 1-D labels, "
                                    f"got shapes {tuple(images.shape)} and {tuple(labels.shape)}")
        if len(images) != len(labels):
            raise FashionMNISTError(f"{split} split: {len(images)} images but {len(labels)} labels "
                                    f"({paths[f'{split}_images'].parent}); the files do not belong together")
        if len(labels) and int(labels.max()) >= len(CLASSES):
            raise FashionMNISTError(f"{paths[f'{split}_labels']}: label {int(labels.max())} is not a class (0-9)")
    return FashionMNIST(
        tensors["train_images"].reshape(-1, 784).float().div_(255),
        tensors["train_labels"].long(),
        tensors["test_images"].reshape(-1, 784).float().div_(255),
        tensors["test_labels"].long(),
        CLASSES,
    )


def show_images(images, titles=None, ncols=8, scale=1.3):
    """Plot images (N, 784) or (N, 28, 28) in a grid with optional titles; return the figure.

    Used in lesson 4 (sample images, misclassified images)."""
    import matplotlib.pyplot as plt

    images = images.detach().reshape(len(images), 28, 28).cpu()
    nrows = max(1, -(-len(images) // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * scale, nrows * scale * 1.25), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(images):
            ax.imshow(images[i], cmap="gray_r")
            if titles is not None:
                ax.set_title(titles[i], fontsize=8)
    fig.tight_layout()
    return fig
