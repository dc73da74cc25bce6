"""Fast training of a linear classifier on data held as one tensor: minibatches by index. Lesson 4.

The source labs fed every batch through a per-item `DataLoader` (a Python call and a `ToTensor`
conversion per image); here the whole data set is one float tensor and a minibatch is `X[idx]`.
"""
import torch


def minibatch_indices(n, batch_size, generator=None, shuffle=True):
    """Return a list of 1-D int64 index tensors covering range(n) once, in random order if `shuffle`.

    Used in lesson 4."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    return list(order.split(batch_size))


def train_epoch(model, loss_fn, optimizer, X, y, batch_size=256, generator=None, scheduler=None):
    """Run one epoch of minibatch SGD on X (N, D), y (N,); return the mean training loss (float).

    Minibatches are rows picked by index from the tensors, so an epoch costs N/batch_size tensor
    operations and no per-item Python work; `scheduler`, if given, is stepped after every minibatch. Used in lesson 4 and benchmarks/softmax_epoch.py."""
    total, count = 0.0, 0
    for idx in minibatch_indices(len(X), batch_size, generator):
        loss = loss_fn(model(X[idx]), y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        total += loss.item() * len(idx)
        count += len(idx)
    return total / max(count, 1)


@torch.no_grad()
def evaluate(model, loss_fn, X, y):
    """Return (mean loss, accuracy) of `model` on X (N, D), y (N,), as floats, without a graph.

    Used in lesson 4."""
    logits = model(X)
    return float(loss_fn(logits, y)), float((logits.argmax(dim=1) == y).float().mean())


def confusion_matrix(y_true, y_pred, n_classes):
    """Return the (n_classes, n_classes) int64 matrix whose entry (i, j) counts true i predicted j.

    Used in lesson 4."""
    y_true, y_pred = torch.as_tensor(y_true).long(), torch.as_tensor(y_pred).long()
    counts = torch.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes)
