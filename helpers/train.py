"""The training loop as one reusable pattern, its history plot, and lesson 7's target function.

    history = fit(model, loss_fn, optimizer, train_loader, epochs=50, val_loader=val_loader,
                  metrics={"accuracy": accuracy})
    plot_history(history)

Used in lesson 7.
"""
import math

import torch


def target_function(x, generator=None):
    """Return y = ln(x)/x + 0.65·|ln(x + x² − log10(x + 1))| + 0.05·R, same shape as x (x > 0).

    R is uniform in [0, 1), drawn with `generator`. Defined for every x > 0: there
    log10(x + 1) < x, so the inner argument exceeds x² > 0. Used in lesson 7."""
    x = torch.as_tensor(x, dtype=torch.get_default_dtype())
    if not bool((x > 0).all()):
        raise ValueError("target_function is defined for x > 0 only")
    noise = torch.rand(x.shape, generator=generator, dtype=x.dtype)
    inner = x + x ** 2 - torch.log10(x + 1)
    return torch.log(x) / x + 0.65 * torch.log(inner).abs() + 0.05 * noise


def _device_of(model):
    for p in model.parameters():
        return p.device
    return torch.device("cpu")


def _evaluate(model, loss_fn, loader, metrics, device):
    """Return {"val_loss": ..., "val_<name>": ...} over the whole of `loader` (model in eval mode)."""
    total, count, outputs, targets = 0.0, 0, [], []
    with torch.no_grad():
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            out = model(xb)
            total += float(loss_fn(out, yb)) * len(xb)
            count += len(xb)
            if metrics:
                outputs.append(out)
                targets.append(yb)
        result = {"val_loss": total / max(count, 1)}
        if metrics:
            out, yb = torch.cat(outputs), torch.cat(targets)
            for name, metric in metrics.items():
                result[f"val_{name}"] = float(metric(out, yb))
    return result


def fit(model, loss_fn, optimizer, train_loader, epochs, val_loader=None, metrics=None, progress=True):
    """Train `model` for `epochs` passes over `train_loader`; return the history, a dict of lists.

    history["loss"][e] is epoch e's mean training loss (per sample, weighted by batch size);
    with `val_loader`, history["val_loss"] and history["val_<name>"] for each metric(outputs,
    targets) -> number in `metrics` are measured after each epoch on the whole validation set.
    Batches go to the model's device; the model's train/eval mode is restored on return.
    Shows a tqdm.auto progress bar unless progress=False. Used in lesson 7."""
    from tqdm.auto import tqdm

    metrics = dict(metrics or {})
    device = _device_of(model)
    history = {"loss": []}
    if val_loader is not None:
        history["val_loss"] = []
        history.update({f"val_{name}": [] for name in metrics})
    was_training = model.training
    bar = tqdm(range(epochs), desc="epochs", disable=not progress, leave=True)
    try:
        for _ in bar:
            model.train()
            total, count = 0.0, 0
            for xb, yb in train_loader:
                xb, yb = xb.to(device), yb.to(device)
                loss = loss_fn(model(xb), yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += float(loss.detach()) * len(xb)
                count += len(xb)
            history["loss"].append(total / max(count, 1))
            shown = {"loss": f"{history['loss'][-1]:.4g}"}
            if val_loader is not None:
                model.eval()
                for key, value in _evaluate(model, loss_fn, val_loader, metrics, device).items():
                    history[key].append(value)
                    shown[key] = f"{value:.4g}"
            bar.set_postfix(shown)
    finally:
        bar.close()
        model.train(was_training)
    return history


def plot_history(history, axes=None, log_loss=None):
    """Plot a `fit` history: losses (train, validation) on the left, other metrics on the right
    (y-labelled with the metric's name, or "metric" when there are several).

    Returns the matplotlib axes; log_loss=None uses a log scale when the loss spans more than a
    factor 20. Call plt.show() after it. Used in lesson 7."""
    import matplotlib.pyplot as plt

    other = [k for k in history if k not in ("loss", "val_loss")]
    if axes is None:
        _, axes = plt.subplots(1, 2 if other else 1, figsize=(10 if other else 5.5, 3.5), squeeze=False)
        axes = list(axes[0])
    losses = [v for k in ("loss", "val_loss") for v in history.get(k, [])]
    epochs = range(1, len(history["loss"]) + 1)
    axes[0].plot(epochs, history["loss"], label="training loss")
    if "val_loss" in history:
        axes[0].plot(epochs, history["val_loss"], label="validation loss")
    positive = [v for v in losses if v > 0 and math.isfinite(v)]
    if log_loss is None:
        log_loss = len(positive) == len(losses) and positive and max(positive) > 20 * min(positive)
    if log_loss:
        axes[0].set_yscale("log")
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("loss")
    axes[0].legend()
    for key in other:
        axes[-1].plot(epochs, history[key], label=key.replace("_", " "))
    if other:
        axes[-1].set_xlabel("epoch")
        axes[-1].set_ylabel(other[0].replace("_", " ") if len(other) == 1 else "metric")
        axes[-1].legend()
    plt.tight_layout()
    return axes
