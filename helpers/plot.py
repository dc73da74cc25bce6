"""Plots of 2-D classification data and of a model's decision regions (after NYU's `plot_lib`).

Used in lesson 5. Importing this module changes no matplotlib setting; only `set_default` does.
"""
import torch


def _axes(ax):
    import matplotlib.pyplot as plt
    return ax if ax is not None else plt.gca()


def set_default(figsize=(5, 5), dpi=100):
    """Set the lesson's plot style (figure size and resolution, no axis grid); call it explicitly.

    Used in lesson 5."""
    import matplotlib.pyplot as plt
    plt.rcParams.update({"figure.figsize": figsize, "figure.dpi": dpi, "axes.grid": False,
                         "image.cmap": "Spectral"})


def class_colours(n_classes):
    """Return n_classes distinct colours (RGB tuples), one per class: tab10's saturated ones for up to
    10 classes, tab20's for up to 20. (A diverging map such as Spectral gives a middle class a
    near-white colour that vanishes on a white page.) Used in lesson 5."""
    import matplotlib
    for name, size in (("tab10", 10), ("tab20", 20)):
        if n_classes <= size:
            return list(matplotlib.colormaps[name].colors[:n_classes])
    return [tuple(c[:3]) for c in matplotlib.colormaps["turbo"].resampled(n_classes)(range(n_classes))]


def plot_data(X, y, ax=None, size=8, n_classes=None):
    """Scatter X (N, 2) coloured by integer labels y (N,) on square axes labelled x₁ and x₂; return the axes.

    Class c gets class_colours(n_classes)[c] (n_classes defaults to max(y) + 1). Axis labels already
    set are kept. Used in lesson 5."""
    from matplotlib.colors import ListedColormap
    ax = _axes(ax)
    X, y = X.detach().cpu(), y.detach().cpu()
    n_classes = max(int(y.max()) + 1, 2) if n_classes is None else n_classes
    ax.scatter(X[:, 0].numpy(), X[:, 1].numpy(), c=y.numpy(), s=size,
               cmap=ListedColormap(class_colours(n_classes)), vmin=-0.5, vmax=n_classes - 0.5,
               edgecolors="none")
    ax.axhline(0, color="0.8", lw=0.8, zorder=0)
    ax.axvline(0, color="0.8", lw=0.8, zorder=0)
    ax.set_aspect("equal")
    if not ax.get_xlabel():
        ax.set_xlabel("$x_1$")
    if not ax.get_ylabel():
        ax.set_ylabel("$x_2$")
    return ax


@torch.no_grad()
def predict_grid(model, lo, hi, steps=200):
    """Return xx, yy (steps, steps) and the model's predicted class on that grid, shape (steps, steps).

    The model is evaluated where it lives (its device), in eval mode, under no_grad; every
    module's train/eval flag is put back afterwards. Used in lesson 5."""
    params = list(model.parameters()) + list(model.buffers())
    device = params[0].device if params else torch.device("cpu")
    dtype = next((p.dtype for p in params if p.is_floating_point()), torch.float32)
    modes = [(m, m.training) for m in model.modules()]
    axis_x = torch.linspace(float(lo[0]), float(hi[0]), steps)
    axis_y = torch.linspace(float(lo[1]), float(hi[1]), steps)
    xx, yy = torch.meshgrid(axis_x, axis_y, indexing="xy")
    grid = torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1).to(device=device, dtype=dtype)
    try:
        model.eval()
        classes = model(grid).argmax(dim=1).reshape(steps, steps).cpu()
    finally:
        for module, training in modes:
            module.training = training
    return xx, yy, classes


def plot_model(X, y, model, ax=None, steps=200, margin=0.1):
    """Draw the decision regions of `model` (2 features -> class logits) around X (N, 2), then the points.

    A class's region and its points share a colour (`class_colours`). The model is not moved, changed or left in another mode (see `predict_grid`). Used in lesson 5."""
    ax = _axes(ax)
    Xc = X.detach().cpu().float()
    lo, hi = Xc.min(dim=0).values - margin, Xc.max(dim=0).values + margin
    xx, yy, classes = predict_grid(model, lo.tolist(), hi.tolist(), steps)
    n_classes = max(int(y.max()), int(classes.max()), 1) + 1
    ax.contourf(xx.numpy(), yy.numpy(), classes.numpy(), levels=[c - 0.5 for c in range(n_classes + 1)],
                colors=class_colours(n_classes), alpha=0.3)
    return plot_data(X, y, ax=ax, n_classes=n_classes)
