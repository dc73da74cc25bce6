"""The course's helpers: small, documented functions that the lessons import.

    from helpers import set_seed, describe

Each submodule holds one topic and names the lesson that uses it. Importing this package does
no work: no file reads, no seeding, no plot-style changes.
"""
from .classification import make_classification
from .core import describe, set_seed
from .logistic import sigmoid, accuracy
from .regression import data_iter, linreg, sgd, squared_loss, synthetic_data
from .fashion import CLASSES as FASHION_CLASSES, FashionMNISTError, load_fashion_mnist, read_idx, show_images
from .softmax import confusion_matrix, evaluate, minibatch_indices, minibatch_slices, shuffle_rows, train_epoch
from .plot import plot_data, plot_model, set_default
from .spiral import make_spiral
from .devices import Timing, best_device, device_name, format_seconds, time_median, to_device
from .train import fit, plot_history, target_function  # lesson 7
from .debugging import (activation_rms, first_nonfinite, grad_norms, init_normal_, kaiming_std, mlp,  # lesson 9
                        train_steps, xavier_std)

from types import ModuleType as _ModuleType

__all__ = sorted(name for name, value in globals().items()
                 if not name.startswith("_") and not isinstance(value, _ModuleType))
