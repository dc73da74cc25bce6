"""One epoch of softmax regression on 60,000 x 784 inputs, two ways, side by side (lesson 4).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/softmax_epoch.py [--threads 1] [--batch-size 256] [--repeats 3]

* lesson:   the whole training set is one float tensor; a minibatch is X[idx] (helpers.train_epoch);
* per-item: the source lab's way, torchvision's FashionMNIST with transform=ToTensor() rebuilt
            without torchvision: __getitem__ makes one PIL image from a uint8 array and converts it
            as ToTensor does; a DataLoader (num_workers=0, default collate) batches the items.

Both train the same nn.Linear(784, 10) with nn.CrossEntropyLoss and SGD on the same data: the real
Fashion-MNIST training set when load_fashion_mnist() finds all 60,000 images, else random images of
the same shape (the time of an epoch does not depend on the pixel values). Torch runs on the number
of threads given (default 1, set with torch.set_num_threads and printed), the same for both ways.
Wall-clock and process CPU times are printed: on a shared machine the CPU time is the fairer one.
"""
import argparse
import os
import time

import numpy as np
import torch
from PIL import Image
from torch import nn

from helpers import load_fashion_mnist, train_epoch
from helpers.fashion import FashionMNISTError

N, D = 60_000, 784


def to_tensor(picture):
    """torchvision's ToTensor for a grey-scale PIL image, step by step: 1x28x28 floats in [0, 1]."""
    array = np.array(picture, np.uint8, copy=True)
    tensor = torch.from_numpy(array).view(picture.size[1], picture.size[0], 1)
    return tensor.permute((2, 0, 1)).contiguous().to(dtype=torch.get_default_dtype()).div(255)


class PerItemDataset(torch.utils.data.Dataset):
    """What torchvision's FashionMNIST(transform=ToTensor()) does per item: uint8 array -> PIL image
    -> ToTensor, label -> int. Built here without torchvision (it cannot be imported here)."""

    def __init__(self, images_uint8, labels, transform=to_tensor):
        self.images, self.labels, self.transform = images_uint8, labels, transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        picture = Image.fromarray(self.images[i].numpy())   # mode "L": 8-bit grey
        return self.transform(picture), int(self.labels[i])


def data():
    try:
        d = load_fashion_mnist(download=False)
        if len(d.X_train) == N:
            return d.X_train, d.y_train, "the real Fashion-MNIST training set"
        source = f"random images (only {len(d.X_train)} Fashion-MNIST training images found, not {N})"
    except FashionMNISTError:
        source = "random images (Fashion-MNIST not found)"
    g = torch.Generator().manual_seed(0)
    X = torch.randint(0, 256, (N, D), generator=g, dtype=torch.uint8).float().div_(255)
    return X, torch.randint(0, 10, (N,), generator=g), source


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3, help="epochs timed per way; the median is printed")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    X, y, source = data()
    print(f"data: {source}, {tuple(X.shape)}; batch size {args.batch_size}")
    print(f"threads: torch.set_num_threads({args.threads}) -> torch.get_num_threads() = {torch.get_num_threads()}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, DataLoader num_workers=0, "
          f"os.cpu_count() = {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")

    loss_fn = nn.CrossEntropyLoss()
    torch.manual_seed(0)
    model = nn.Linear(D, 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    g = torch.Generator().manual_seed(0)

    def lesson_epoch():
        train_epoch(model, loss_fn, optimizer, X, y, batch_size=args.batch_size, generator=g)

    loader = torch.utils.data.DataLoader(
        PerItemDataset((X * 255).round().to(torch.uint8).reshape(-1, 28, 28), y),
        batch_size=args.batch_size, shuffle=True, num_workers=0, generator=torch.Generator().manual_seed(0))

    def per_item_epoch():
        for images, labels in loader:
            loss = loss_fn(model(images.reshape(len(images), -1)), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    lesson_epoch()   # warm-up
    results = {}
    for name, fn in (("lesson (one tensor, minibatches by index)", lesson_epoch),
                     ("per-item Dataset + ToTensor + DataLoader", per_item_epoch)):
        runs = sorted(timed(fn) for _ in range(args.repeats))
        results[name] = runs[len(runs) // 2]
    (lesson_wall, lesson_cpu), (item_wall, item_cpu) = results.values()
    for name, (wall, cpu) in results.items():
        print(f"{name:43s} epoch: {wall:7.3f} s wall, {cpu:7.3f} s CPU (median of {args.repeats})")
    print(f"ratio (per-item / lesson): {item_wall / lesson_wall:.1f}x wall, {item_cpu / lesson_cpu:.1f}x CPU")


if __name__ == "__main__":
    main()
