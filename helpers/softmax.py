"""Fast training of a linear classifier on data held as one tensor. Lesson 4.

The source labs fed every batch through a per-item `DataLoader` (a Python call and a `ToTensor`
conversion per image); here the whole data set is one float tensor and a minibatch is taken from
it in one operation, in one of two ways:

* by index, `X[idx]` with `idx` a tensor of random row numbers (`minibatch_indices`): the rows are
  reshuffled every epoch, and every minibatch is a fresh copy of its rows;
* by slice, `X[a:b]` (`minibatch_slices`): a view, no copy at all. Shuffle the rows once before
  training (`shuffle_rows`); each epoch then visits the same contiguous blocks in a new random
  order (between "shuffle once" and reshuffling every epoch, whose convergence bounds are
  comparable: Mishchenko, Khaled and Richtarik 2020). Lesson 4 shows it costs no accuracy there.
"""
import torch


def minibatch_indices(n, batch_size, generator=None, shuffle=True):
    """Return a list of 1-D int64 index tensors covering range(n) once, in random order if `shuffle`.

    `X[idx]` copies the chosen rows. Used in lesson 4."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    return list(order.split(batch_size))


def minibatch_slices(n, batch_size, generator=None, shuffle=True):
    """Return a list of `slice` objects, the blocks [0, batch_size), [batch_size, 2 batch_size), ...
    covering range(n) once, in random order if `shuffle` (the last block may be shorter).

    `X[s]` is a view of X, no copy; the blocks are random samples only if the rows were shuffled
    beforehand (`shuffle_rows`). Used in lesson 4."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    blocks = [slice(start, min(start + batch_size, n)) for start in range(0, n, batch_size)]
    if shuffle:
        blocks = [blocks[k] for k in torch.randperm(len(blocks), generator=generator).tolist()]
    return blocks


def shuffle_rows(*tensors, generator=None):
    """Return copies of the tensors (same length N) with their rows in one common random order.

    Done once before training with `minibatch_slices`. Used in lesson 4."""
    if not tensors:
        raise ValueError("give at least one tensor")
    n = len(tensors[0])
    if any(len(t) != n for t in tensors):
        raise ValueError(f"the tensors must have the same number of rows, got {[len(t) for t in tensors]}")
    order = torch.randperm(n, generator=generator)
    return tuple(t.index_select(0, order.to(t.device)) for t in tensors)


def train_epoch(model, loss_fn, optimizer, X, y, batch_size=256, generator=None, scheduler=None,
                minibatches="indices"):
    """Run one epoch of minibatch SGD on X (N, D), y (N,); return the mean of the minibatch losses,
    weighted by their sizes, as the weights changed during the epoch (a float).

    `minibatches="indices"` reshuffles the rows and copies each minibatch (`X[idx]`);
    `minibatches="slices"` takes views of contiguous blocks in random order (`X[a:b]`, no copy),
    for rows already shuffled once with `shuffle_rows`. Either way an epoch costs N/batch_size
    tensor operations and no per-item Python work. `scheduler`, if given, is stepped after every
    minibatch. Used in lesson 4 and benchmarks/softmax_epoch.py."""
    if minibatches == "indices":
        batches = minibatch_indices(len(X), batch_size, generator)
    elif minibatches == "slices":
        batches = minibatch_slices(len(X), batch_size, generator)
    else:
        raise ValueError(f'minibatches must be "indices" or "slices", got {minibatches!r}')
    total = 0.0
    for batch in batches:
        loss = loss_fn(model(X[batch]), y[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        total += loss.item() * len(y[batch])
    return total / max(len(X), 1)


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
