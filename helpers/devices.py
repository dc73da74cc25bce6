"""Devices and honest timing: pick a device, move nested batches there, time code correctly.

Used in lesson 6. Nothing here touches a device or a thread setting until it is called.
"""
import copy
import os
import platform
from typing import NamedTuple

import torch


def best_device():
    """Return the fastest available torch.device: 'cuda', else Apple's 'mps', else 'cpu'.

    Used in lessons 6 and 7."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def device_name(device="cpu", cpuinfo="/proc/cpuinfo"):
    """Return a label for the hardware behind `device`, for plot legends and titles.

    CUDA: the GPU's name (e.g. 'NVIDIA H100 80GB HBM3'); MPS: 'Apple GPU (MPS)'; CPU: the model
    name from `cpuinfo` (Linux), else platform.processor(), with the core count, e.g.
    'AMD EPYC (2 cores)'. Used in lesson 6."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return "Apple GPU (MPS)"
    model = ""
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as lines:
            model = next((line.split(":", 1)[1].strip() for line in lines
                          if line.lower().startswith("model name") and ":" in line), "")
    except OSError:
        pass
    cores = os.cpu_count() or 1
    return f"{model or platform.processor() or platform.machine() or 'CPU'} ({cores} core{'s' * (cores != 1)})"


def to_device(obj, device):
    """Return `obj` with every tensor moved to `device`, recursing into lists, tuples and dicts.

    Containers keep their type (tuple, namedtuple, OrderedDict, defaultdict, ...) and are rebuilt,
    never changed in place; other leaves (numbers, strings, None) come back as they are; a tensor
    already on `device` comes back as the same object. A module is moved in place and returned,
    as `nn.Module.to` does. Used in lessons 6 and 7."""
    if isinstance(obj, (torch.Tensor, torch.nn.Module)):
        return obj.to(device)
    if isinstance(obj, dict):
        out = copy.copy(obj)  # keeps the dict's type and extras (a defaultdict's factory)
        for key, value in obj.items():
            out[key] = to_device(value, device)
        return out
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # a namedtuple takes fields one by one
        return type(obj)(*(to_device(v, device) for v in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(v, device) for v in obj)
    return obj


class Timing(NamedTuple):
    """A median time in seconds, the runs it is the median of, and the torch threads used."""
    median: float
    runs: int
    threads: int

    def __str__(self):
        plural = "" if self.threads == 1 else "s"
        return f"{format_seconds(self.median)} (median of {self.runs} runs, {self.threads} thread{plural})"


def format_seconds(seconds):
    """Return a duration in s, ms or µs with three significant digits, e.g. '1.23 ms'. Used in lesson 6."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def time_median(fn, threads=None, min_run_time=0.2):
    """Time `fn()` with torch.utils.benchmark.Timer and return a Timing(median, runs, threads).

    Timer warms up, synchronises the GPU (CUDA or MPS) before reading its clock, and runs in
    blocks. It would use ONE thread unless told otherwise; here `threads` defaults to the current
    torch.get_num_threads() (or all cores with threads='all'), and the count is reported. The
    thread setting is restored afterwards. Used in lesson 6."""
    if threads == "all":
        threads = os.cpu_count() or 1
    threads = torch.get_num_threads() if threads is None else int(threads)
    from torch.utils.benchmark import Timer  # imported on first use: importing helpers stays cheap

    timer = Timer(stmt="fn()", globals={"fn": fn}, num_threads=threads)
    measurement = timer.blocked_autorange(min_run_time=min_run_time)
    runs = len(measurement.raw_times) * measurement.number_per_run
    return Timing(float(measurement.median), runs, threads)
