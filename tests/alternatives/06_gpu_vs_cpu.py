"""Correct answers to assignment 6 in other styles than the solution; each must earn full marks.

tests/test_alternatives.py runs every entry against the instructor notebook (hidden tests
included) in place of the solution's cell, and requires every test cell to pass; it also grades
a class made of them with `make grade`'s grader. The twin of tests/mistakes/.
"""

ALTERNATIVES = {
    # --- to_device -------------------------------------------------------------------------
    "to_device: comprehensions, one branch per container type": {
        "cell": "to_device",
        "code": """def to_device(obj, device):
    if torch.is_tensor(obj) or isinstance(obj, torch.nn.Module):
        return obj.to(device)
    if isinstance(obj, dict):
        return {k: to_device(v, device) for k, v in obj.items()}
    if isinstance(obj, tuple):
        return tuple(to_device(v, device) for v in obj)
    if isinstance(obj, list):
        return [to_device(v, device) for v in obj]
    return obj""",
    },
    "to_device: match statement": {
        "cell": "to_device",
        "code": """def to_device(obj, device):
    match obj:
        case torch.Tensor() | torch.nn.Module():
            return obj.to(device=device)
        case dict():
            return dict(zip(obj.keys(), [to_device(v, device) for v in obj.values()]))
        case list() | tuple():
            return type(obj)([to_device(v, device) for v in obj])
        case _:
            return obj""",
    },
    "to_device: explicit loops building new containers, torch.device(device)": {
        "cell": "to_device",
        "code": """def to_device(obj, device):
    device = torch.device(device)
    if isinstance(obj, torch.nn.Module):
        obj.to(device)
        return obj
    if isinstance(obj, torch.Tensor):
        return obj if obj.device == device else obj.to(device)
    if isinstance(obj, dict):
        moved = {}
        for key in obj:
            moved[key] = to_device(obj[key], device)
        return moved
    if isinstance(obj, (list, tuple)):
        moved = []
        for value in obj:
            moved.append(to_device(value, device))
        return tuple(moved) if isinstance(obj, tuple) else moved
    return obj""",
    },
    "to_device: functools.singledispatch": {
        "cell": "to_device",
        "code": """import functools

@functools.singledispatch
def _move(obj, device):
    return obj

@_move.register(torch.Tensor)
@_move.register(torch.nn.Module)
def _(obj, device):
    return obj.to(device)

@_move.register(list)
@_move.register(tuple)
def _(obj, device):
    return type(obj)(_move(v, device) for v in obj)

@_move.register(dict)
def _(obj, device):
    return {k: _move(v, device) for k, v in obj.items()}

def to_device(obj, device):
    return _move(obj, device)""",
    },
    "to_device: warns about values it leaves alone (it warns)": {
        "cell": "to_device",
        "code": """import warnings

def to_device(obj, device):
    if isinstance(obj, (torch.Tensor, torch.nn.Module)):
        return obj.to(device)
    if isinstance(obj, dict):
        return type(obj)((key, to_device(value, device)) for key, value in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(value, device) for value in obj)
    if obj is not None and not isinstance(obj, (int, float, str)):
        warnings.warn(f"to_device: a {type(obj).__name__} is returned unchanged")
    if isinstance(obj, str):
        warnings.warn("to_device: a string is returned unchanged")
    return obj""",
    },
    # --- time_it ---------------------------------------------------------------------------
    "time_it: one timed run in a helper, list comprehension": {
        "cell": "time_it",
        "code": """def time_it(fn, sync, warmup=2, repeats=5, clock=time.perf_counter):
    def once():
        sync()
        t0 = clock()
        fn()
        sync()
        t1 = clock()
        return t1 - t0

    for _ in range(warmup):
        fn()
    return statistics.median([once() for _ in range(repeats)])""",
    },
    "time_it: while loops and a median by hand": {
        "cell": "time_it",
        "code": """def time_it(fn, sync, warmup=2, repeats=5, clock=time.perf_counter):
    done = 0
    while done < warmup:
        fn()
        done += 1
    runs = []
    while len(runs) < repeats:
        sync()
        begin = clock()
        fn()
        sync()
        end = clock()
        runs.append(end - begin)
    runs.sort()
    middle = len(runs) // 2
    if len(runs) % 2 == 1:
        return float(runs[middle])
    return (runs[middle - 1] + runs[middle]) / 2""",
    },
    "time_it: float64 tensor quantile": {
        "cell": "time_it",
        "code": """def time_it(fn, sync, warmup=2, repeats=5, clock=time.perf_counter):
    for _ in range(warmup):
        fn()
    starts, stops = [], []
    for _ in range(repeats):
        sync()
        starts.append(clock())
        fn()
        sync()
        stops.append(clock())
    durations = torch.tensor(stops, dtype=torch.float64) - torch.tensor(starts, dtype=torch.float64)
    return float(torch.quantile(durations, 0.5))""",
    },
    "time_it: numpy median, converted to float": {
        "cell": "time_it",
        "code": """import numpy as np

def time_it(fn, sync, warmup=2, repeats=5, clock=time.perf_counter):
    [fn() for _ in range(warmup)]
    times = np.empty(repeats)
    for i in range(repeats):
        sync()
        start = clock()
        fn()
        sync()
        times[i] = clock() - start
    return float(np.median(times))""",
    },
    # --- FLOPs and intensity ---------------------------------------------------------------
    "flops: multiplications plus additions, bytes summed from a list": {
        "cell": "matmul_flops",
        "code": """def matmul_flops(n, k, m):
    multiplications = n * m * k
    additions = n * m * k
    return multiplications + additions


def arithmetic_intensity(n, k, m, bytes_per_element=4):
    elements = [n * k, k * m, n * m]
    return float(matmul_flops(n, k, m)) / float(sum(elements) * bytes_per_element)""",
    },
    "flops: math.prod, intensity as a Fraction": {
        "cell": "matmul_flops",
        "code": """import math
from fractions import Fraction

def matmul_flops(n, k, m):
    return math.prod((2, n, k, m))


def arithmetic_intensity(n, k, m, bytes_per_element=4):
    return float(Fraction(matmul_flops(n, k, m), bytes_per_element * (n * k + k * m + n * m)))""",
    },
    "flops: a loop over the output rows, intensity per element": {
        "cell": "matmul_flops",
        "code": """def matmul_flops(n, k, m):
    total = 0
    for _ in range(n):
        total += m * (k + k)
    return total


def arithmetic_intensity(n, k, m, bytes_per_element=4):
    flops_per_element = matmul_flops(n, k, m) / (n * k + k * m + n * m)
    return flops_per_element / bytes_per_element""",
    },
    "flops: float64 tensors, int() at the end": {
        "cell": "matmul_flops",
        "code": """def matmul_flops(n, k, m):
    return int(torch.tensor([2, n, k, m], dtype=torch.float64).prod().item())


def arithmetic_intensity(n, k, m, bytes_per_element=4):
    sizes = torch.tensor([n * k, k * m, n * m], dtype=torch.float64)
    return (matmul_flops(n, k, m) / (sizes.sum() * bytes_per_element)).item()""",
    },
    "roofline: exercise 3's functions, an exact search bounded by the formula": {
        "cell": "roofline",
        "code": """def roofline_time(n, k, m, peak_flops, bandwidth, bytes_per_element=4):
    flops = matmul_flops(n, k, m)
    moved = flops / arithmetic_intensity(n, k, m, bytes_per_element)
    return max(flops / peak_flops, moved / bandwidth)


def smallest_compute_bound_batch(d_in, d_out, peak_flops, bandwidth, bytes_per_element=4):
    ridge = peak_flops / bandwidth
    limit = 2 * d_in * d_out / (bytes_per_element * (d_in + d_out))
    if limit <= ridge:
        return None
    lo, hi = 1, 1
    while arithmetic_intensity(hi, d_in, d_out, bytes_per_element) < ridge:
        hi *= 2
    while lo < hi:                     # binary search: the intensity grows with B
        mid = (lo + hi) // 2
        if arithmetic_intensity(mid, d_in, d_out, bytes_per_element) >= ridge:
            hi = mid
        else:
            lo = mid + 1
    return lo""",
    },
    'roofline: exact fractions': {
        "cell": "roofline",
        "code": """from fractions import Fraction
import math


def roofline_time(n, k, m, peak_flops, bandwidth, bytes_per_element=4):
    compute = 2 * n * k * m / peak_flops
    memory = bytes_per_element * (n * k + k * m + n * m) / bandwidth
    return compute if compute >= memory else memory


def smallest_compute_bound_batch(d_in, d_out, peak_flops, bandwidth, bytes_per_element=4):
    r = Fraction(peak_flops) / Fraction(bandwidth)
    k, m, s = d_in, d_out, bytes_per_element
    slope = 2 * k * m - r * s * (k + m)
    if slope <= 0:
        return None
    return max(1, math.ceil(r * s * k * m / slope))""",
    },
    'roofline: numpy floats, ceiling by integer division (it warns)': {
        "cell": "roofline",
        "code": """import warnings

import numpy as np


def roofline_time(n, k, m, peak_flops, bandwidth, bytes_per_element=4):
    times = np.array([2.0 * n * k * m / peak_flops, bytes_per_element * (n * k + k * m + n * m) / bandwidth])
    return float(times.max())


def smallest_compute_bound_batch(d_in, d_out, peak_flops, bandwidth, bytes_per_element=4):
    warnings.warn("the ridge point is a float: B is rounded up from it")
    ridge = peak_flops / bandwidth
    gain = 2 * d_in * d_out - ridge * bytes_per_element * (d_in + d_out)
    if not gain > 0:
        return None
    need = ridge * bytes_per_element * d_in * d_out
    return int(max(1, -(-need // gain)))""",
    },
}
