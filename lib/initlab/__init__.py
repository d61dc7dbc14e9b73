"""initlab: numpy reference code of Lab 4.4, Weight Initialization Strategies for Deep Networks.

Each module names the notebook (``source/weight_init/NN_*.ipynb``) that
introduces it. Importing ``initlab`` loads numpy only; the modules that need
scikit-learn (datasets) or matplotlib (plotting) are imported when first used,
so a notebook pays only for what it uses.

Shape convention, everywhere: a weight is ``(n_out, n_in)`` or
``(n_out, n_in, *kernel)`` (PyTorch's), data is ``(features, samples)``.
"""

from __future__ import annotations

import importlib

from ._guard import ReferenceCalledError
from .activations import ACTIVATIONS, activate, activation_derivative
from .fans import calculate_gain, compute_fans
from .initializers import INITIALIZERS, WeightInitializer, initialize

__version__ = "1.0.0"

# name -> module, imported on first access (PEP 562)
_LAZY = {
    "CustomInitializer": "custom",
    "lsuv_init": "custom",
    "ActivationAnalyzer": "analysis",
    "analyze_activation_flow": "analysis",
    "InitializationTrainer": "training",
    "analyze_initialization_performance": "performance",
    "InitializationRecommender": "recommender",
    "make_activation_data": "datasets",
    "make_training_data": "datasets",
}

__all__ = [
    "ACTIVATIONS", "INITIALIZERS", "ReferenceCalledError", "WeightInitializer", "activate",
    "activation_derivative", "calculate_gain", "compute_fans", "initialize", *_LAZY,
]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    if name in {"plotting", "guide", "datasets", "custom", "analysis", "training",
                "performance", "recommender"}:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'initlab' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
