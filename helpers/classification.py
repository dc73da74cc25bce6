"""Synthetic classification data (the source labs' `tensorGenCla`). Used in lessons 3 and 4."""
import torch


def make_classification(n_per_class=500, n_features=2, n_classes=3, dispersion=(4.0, 2.0),
                        bias=False, generator=None):
    """Return X (n_classes·n_per_class, n_features [+1]) float32 and y (same length,) int64.

    Class c is drawn from N(c·d - d·(n_classes - 1)/2, s²) in every feature, where
    dispersion = (d, s): d is the distance between neighbouring class means (per feature) and s
    the standard deviation within a class, so the means are centred on 0. Rows come class by
    class (shuffle before minibatching). With bias=True a last column of ones is appended.
    Labels are 1-D, as `nn.CrossEntropyLoss` expects (the source lab returned shape (N, 1))."""
    distance, std = (float(v) for v in dispersion)
    if n_per_class < 1 or n_features < 1 or n_classes < 2:
        raise ValueError("need n_per_class >= 1, n_features >= 1 and n_classes >= 2")
    centre = distance * (n_classes - 1) / 2
    y = torch.arange(n_classes).repeat_interleave(n_per_class)
    noise = torch.randn(n_classes * n_per_class, n_features, generator=generator) * std
    X = noise + (y.float() * distance - centre).unsqueeze(1)
    if bias:
        X = torch.cat([X, torch.ones(len(X), 1)], dim=1)
    return X, y
