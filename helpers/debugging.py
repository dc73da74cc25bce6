"""Tools for making training work: deep networks to initialise, what their layers do to the
activations and the gradients, and the first numbers of a run to read before trusting it.

    model = init_normal_(mlp([784, 256, 256, 10]), std=kaiming_std, generator=g)
    activation_rms(model, X)        # the scale after each activation, layer by layer
    grad_norms(model)               # the norm of each layer's weight gradient

Used in lesson 9.
"""
import math

import torch
from torch import nn


def mlp(sizes, activation=nn.ReLU, dropout=0.0):
    """Return an nn.Sequential of nn.Linear(sizes[i], sizes[i + 1]), each but the last followed by
    `activation()` (and nn.Dropout(dropout) when dropout > 0). Used in lesson 9."""
    if len(sizes) < 2:
        raise ValueError(f"an MLP needs at least an input and an output size, got {list(sizes)}")
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def kaiming_std(fan_in, fan_out):
    """sqrt(2 / fan_in): the weights' standard deviation that keeps a ReLU network's activations at
    their scale (He et al., 2015). Used in lesson 9."""
    return math.sqrt(2.0 / fan_in)


def xavier_std(fan_in, fan_out):
    """sqrt(2 / (fan_in + fan_out)): Glorot and Bengio's (2010) choice for tanh-like activations.
    Used in lesson 9."""
    return math.sqrt(2.0 / (fan_in + fan_out))


def init_normal_(model, std, generator=None):
    """Give every nn.Linear of `model` weights ~ N(0, s²) and biases 0, in place; return the model.

    `std` is a number s, or a function (fan_in, fan_out) -> s such as kaiming_std. Random numbers
    come from `generator` (torch's global one when None). Used in lesson 9."""
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.Linear):
                fan_out, fan_in = layer.weight.shape
                s = std(fan_in, fan_out) if callable(std) else float(std)
                layer.weight.copy_(torch.randn(layer.weight.shape, generator=generator) * s)
                if layer.bias is not None:
                    layer.bias.zero_()
    return model


def activation_rms(model, x, after=(nn.ReLU, nn.Tanh, nn.Sigmoid, nn.LeakyReLU)):
    """Run x (N, features) through an nn.Sequential module by module, without gradients; return the
    root mean square of the output of each module of a type in `after` (the activations), in order,
    as a list of floats. Used in lesson 9."""
    found = []
    with torch.no_grad():
        for module in model:
            x = module(x)
            if isinstance(module, after):
                found.append(x.pow(2).mean().sqrt().item())
    return found


def grad_norms(model):
    """Return [the norm of each nn.Linear's weight gradient], first layer first (0.0 where a layer
    has no gradient yet): read after loss.backward(). Used in lesson 9."""
    return [layer.weight.grad.norm().item() if layer.weight.grad is not None else 0.0
            for layer in model.modules() if isinstance(layer, nn.Linear)]


def first_nonfinite(values):
    """Return the index of the first NaN or infinite number in `values` (a list or tensor), or None.
    Used in lesson 9."""
    for i, v in enumerate(torch.as_tensor(values, dtype=torch.float64).flatten().tolist()):
        if not math.isfinite(v):
            return i
    return None


def train_steps(model, loss_fn, optimizer, X, y, steps, zero_grad=True):
    """Take `steps` full-batch optimiser steps on (X, y) with the model in training mode; return the
    loss before each step (a list of floats). zero_grad=False leaves the gradients to accumulate,
    the classic bug, to show what it does. Used in lesson 9."""
    model.train()
    losses = []
    for _ in range(steps):
        if zero_grad:
            optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
