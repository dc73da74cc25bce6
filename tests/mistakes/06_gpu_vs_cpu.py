"""Typical wrong answers to assignment 6 and the test cells each one must fail.

tests/test_mistakes.py runs every entry against the instructor notebook (hidden tests included)
and requires exactly the listed test cells to fail. DEMO names the wrong answer of the demo
class's student carol, and the exact autograded scores the demo class must get.
"""

_INTENSITY = '''

def arithmetic_intensity(n, k, m, bytes_per_element=4):
    return matmul_flops(n, k, m) / (bytes_per_element * (n * k + k * m + n * m))'''

_FLOPS = '''def matmul_flops(n, k, m):
    return 2 * n * k * m
'''

MISTAKES = {
    # --- to_device -------------------------------------------------------------------------
    "tuples turned into lists": {
        "cell": "to_device",
        "hint": "A container should come back as the same kind of container it was.",
        "code": """def to_device(obj, device):
    if isinstance(obj, (torch.Tensor, torch.nn.Module)):
        return obj.to(device)
    if isinstance(obj, dict):
        return {key: to_device(value, device) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_device(value, device) for value in obj]
    return obj""",
        "fails": {"test_to_device_containers"},
    },
    "dict entries that are not tensors dropped": {
        "cell": "to_device",
        "hint": "Entries that are not tensors belong in the result too, unchanged.",
        "code": """def to_device(obj, device):
    if isinstance(obj, (torch.Tensor, torch.nn.Module)):
        return obj.to(device)
    if isinstance(obj, dict):
        return {key: to_device(value, device) for key, value in obj.items()
                if isinstance(value, (torch.Tensor, torch.nn.Module, list, tuple, dict))}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(value, device) for value in obj)
    return obj""",
        "fails": {"test_to_device_containers"},
    },
    "caller's list and dict changed in place": {
        "cell": "to_device",
        "hint": "Build new containers: the caller's list and dict should be left as they were.",
        "code": """def to_device(obj, device):
    if isinstance(obj, (torch.Tensor, torch.nn.Module)):
        return obj.to(device)
    if isinstance(obj, dict):
        for key in obj:
            obj[key] = to_device(obj[key], device)
        return obj
    if isinstance(obj, list):
        for i, value in enumerate(obj):
            obj[i] = to_device(value, device)
        return obj
    if isinstance(obj, tuple):
        return tuple(to_device(value, device) for value in obj)
    return obj""",
        "fails": {"test_to_device_containers"},
    },
    "a copy even on the same device": {
        "cell": "to_device",
        "hint": "A tensor already on the target device needs no copy: what does .to() return then?",
        "code": """def to_device(obj, device):
    if isinstance(obj, torch.Tensor):
        return obj.clone().to(device)
    if isinstance(obj, torch.nn.Module):
        return obj.to(device)
    if isinstance(obj, dict):
        return {key: to_device(value, device) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(value, device) for value in obj)
    return obj""",
        "fails": {"test_to_device_same_device"},
    },
    "modules left where they are": {
        "cell": "to_device",
        "hint": "Modules (nn.Module) have parameters that must move too.",
        "code": """def to_device(obj, device):
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return {key: to_device(value, device) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(value, device) for value in obj)
    return obj""",
        "fails": {"test_to_device_tensors"},
    },
    "only one level deep": {
        "cell": "to_device",
        "hint": "Containers can hold containers: handle them at every depth (recursion helps).",
        "code": """def to_device(obj, device):
    move = lambda v: v.to(device) if isinstance(v, (torch.Tensor, torch.nn.Module)) else v
    if isinstance(obj, dict):
        return {key: move(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(move(value) for value in obj)
    return move(obj)""",
        "fails": {"test_to_device_tensors", "test_to_device_containers"},
    },
    "module deep-copied before the move": {
        "cell": "to_device",
        "hint": "Moving a module is expected to move the caller's module itself, not a copy of it.",
        "code": """import copy

def to_device(obj, device):
    if isinstance(obj, torch.nn.Module):
        return copy.deepcopy(obj).to(device)
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return {key: to_device(value, device) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(value, device) for value in obj)
    return obj""",
        "fails": {"test_to_device_tensors", "test_to_device_same_device"},
    },
    "tensor.to treated as in place": {
        "cell": "to_device",
        "hint": "tensor.to() returns a new tensor and leaves the original where it was: use what it returns.",
        "code": """def to_device(obj, device):
    if isinstance(obj, (torch.Tensor, torch.nn.Module)):
        obj.to(device)
        return obj
    if isinstance(obj, dict):
        return {key: to_device(value, device) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(value, device) for value in obj)
    return obj""",
        "fails": {"test_to_device_tensors", "test_to_device_containers"},
    },
    "strings treated as sequences": {
        "cell": "to_device",
        "hint": "A string is a sequence too, but it is not a container of tensors: leave it as it is.",
        "code": """import collections.abc

def to_device(obj, device):
    if isinstance(obj, (torch.Tensor, torch.nn.Module)):
        return obj.to(device)
    if isinstance(obj, collections.abc.Mapping):
        return {key: to_device(value, device) for key, value in obj.items()}
    if isinstance(obj, collections.abc.Sequence):
        return type(obj)(to_device(value, device) for value in obj)
    return obj""",
        "fails": {"test_to_device_containers"},
    },
    "dict keys sorted": {
        "cell": "to_device",
        "hint": "Keep the dict's entries in their original order.",
        "code": """def to_device(obj, device):
    if isinstance(obj, (torch.Tensor, torch.nn.Module)):
        return obj.to(device)
    if isinstance(obj, dict):
        return {key: to_device(obj[key], device) for key in sorted(obj)}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(value, device) for value in obj)
    return obj""",
        "fails": {"test_to_device_containers"},
    },
    # --- time_it ---------------------------------------------------------------------------
    "no warm-up": {
        "cell": "time_it",
        "hint": "The first calls are often slower (caches, lazy initialisation): count the untimed calls you make before the clock starts, against what warmup asks.",
        "code": """def time_it(fn, sync, warmup=2, repeats=5, clock=time.perf_counter):
    times = []
    for _ in range(repeats):
        sync()
        start = clock()
        fn()
        sync()
        times.append(clock() - start)
    return statistics.median(times)""",
        "fails": {"test_time_it_warmup"},
    },
    "the warm-up calls are timed too": {
        "cell": "time_it",
        "hint": "Start the clock only after the warm-up calls.",
        "code": """def time_it(fn, sync, warmup=2, repeats=5, clock=time.perf_counter):
    times = []
    for _ in range(warmup + repeats):
        sync()
        start = clock()
        fn()
        sync()
        times.append(clock() - start)
    return statistics.median(times)""",
        "fails": {"test_time_it_warmup"},
    },
    "one warm-up call too few": {
        "cell": "time_it",
        "hint": "The first calls are often slower (caches, lazy initialisation): count the untimed calls you make before the clock starts, against what warmup asks.",
        "code": """def time_it(fn, sync, warmup=2, repeats=5, clock=time.perf_counter):
    for _ in range(warmup - 1):
        fn()
    times = []
    for _ in range(repeats):
        sync()
        start = clock()
        fn()
        sync()
        times.append(clock() - start)
    return statistics.median(times)""",
        "fails": {"test_time_it_warmup"},
    },
    "no synchronize": {
        "cell": "time_it",
        "hint": "GPU work is asynchronous: where do you wait for it to finish, before or after you read the clock?",
        "code": """def time_it(fn, sync, warmup=2, repeats=5, clock=time.perf_counter):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = clock()
        fn()
        times.append(clock() - start)
    return statistics.median(times)""",
        "fails": {"test_time_it_sync"},
    },
    "synchronised after the clock stops": {
        "cell": "time_it",
        "hint": "GPU work is asynchronous: where do you wait for it to finish, before or after you read the clock?",
        "code": """def time_it(fn, sync, warmup=2, repeats=5, clock=time.perf_counter):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        sync()
        start = clock()
        fn()
        times.append(clock() - start)
        sync()
    return statistics.median(times)""",
        "fails": {"test_time_it_sync"},
    },
    "no synchronize before the clock starts": {
        "cell": "time_it",
        "hint": "Work queued before the clock starts must finish before you start it too.",
        "code": """def time_it(fn, sync, warmup=2, repeats=5, clock=time.perf_counter):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = clock()
        fn()
        sync()
        times.append(clock() - start)
    return statistics.median(times)""",
        "fails": {"test_time_it_sync"},
    },
    "mean instead of median": {
        "cell": "time_it",
        "hint": "One slow run can pull the mean far away: the exercise asks for a statistic that ignores outliers.",
        "code": """def time_it(fn, sync, warmup=2, repeats=5, clock=time.perf_counter):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        sync()
        start = clock()
        fn()
        sync()
        times.append(clock() - start)
    return sum(times) / len(times)""",
        "fails": {"test_time_it_median"},
    },
    "one clock around all the runs, not divided": {
        "cell": "time_it",
        "hint": "Time each run on its own, so that you have one time per run to summarise.",
        "code": """def time_it(fn, sync, warmup=2, repeats=5, clock=time.perf_counter):
    for _ in range(warmup):
        fn()
    sync()
    start = clock()
    for _ in range(repeats):
        fn()
    sync()
    return clock() - start""",
        "fails": {"test_time_it_warmup", "test_time_it_sync", "test_time_it_median"},
    },
    "median as the middle element of the sorted runs": {
        "cell": "time_it",
        "hint": "With an even number of runs there is no single middle element: how is the median defined then?",
        "code": """def time_it(fn, sync, warmup=2, repeats=5, clock=time.perf_counter):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        sync()
        start = clock()
        fn()
        sync()
        times.append(clock() - start)
    return sorted(times)[len(times) // 2]""",
        "fails": {"test_time_it_median"},
    },
    "minimum instead of median": {
        "cell": "time_it",
        "hint": "Check which statistic of the run times the exercise asks for.",
        "code": """def time_it(fn, sync, warmup=2, repeats=5, clock=time.perf_counter):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        sync()
        start = clock()
        fn()
        sync()
        times.append(clock() - start)
    return min(times)""",
        "fails": {"test_time_it_warmup", "test_time_it_median"},
    },
    "milliseconds instead of seconds": {
        "cell": "time_it",
        "hint": "Check the unit: the exercise asks for seconds.",
        "code": """def time_it(fn, sync, warmup=2, repeats=5, clock=time.perf_counter):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        sync()
        start = clock()
        fn()
        sync()
        times.append(1000 * (clock() - start))
    return statistics.median(times)""",
        "fails": {"test_time_it_warmup", "test_time_it_sync", "test_time_it_median"},
    },
    "warmup and repeats swapped": {
        "cell": "time_it",
        "hint": "Check which argument counts the warm-up calls and which the timed ones.",
        "code": """def time_it(fn, sync, warmup=2, repeats=5, clock=time.perf_counter):
    for _ in range(repeats):
        fn()
    times = []
    for _ in range(warmup):
        sync()
        start = clock()
        fn()
        sync()
        times.append(clock() - start)
    return statistics.median(times)""",
        "fails": {"test_time_it_warmup", "test_time_it_median"},
    },
    # --- FLOPs and intensity ---------------------------------------------------------------
    "FLOPs n*k*m (multiplications only)": {
        "cell": "matmul_flops",
        "hint": "Each multiply in a matrix product comes with an add: count both.",
        "code": """def matmul_flops(n, k, m):
    return n * k * m""" + _INTENSITY,
        "fails": {"test_matmul_flops", "test_intensity"},
    },
    "FLOPs with k - 1 additions": {
        "cell": "matmul_flops",
        "hint": "Use the usual convention for counting a matrix product's operations (one multiply-add per term counts as two).",
        "code": """def matmul_flops(n, k, m):
    return n * m * (2 * k - 1)""" + _INTENSITY,
        "fails": {"test_matmul_flops", "test_intensity"},
    },
    "FLOPs as a float": {
        "cell": "matmul_flops",
        "hint": "A count of operations is a whole number: check the type you return.",
        "code": """def matmul_flops(n, k, m):
    return 2.0 * n * k * m""" + _INTENSITY,
        "fails": {"test_matmul_flops"},
    },
    "the output matrix not counted in the bytes": {
        "cell": "matmul_flops",
        "hint": "The memory traffic includes writing the output matrix, not only reading the inputs.",
        "code": _FLOPS + """

def arithmetic_intensity(n, k, m, bytes_per_element=4):
    return matmul_flops(n, k, m) / (bytes_per_element * (n * k + k * m))""",
        "fails": {"test_intensity"},
    },
    "4 bytes per element hard-coded": {
        "cell": "matmul_flops",
        "hint": "Use the bytes_per_element argument instead of a fixed number.",
        "code": _FLOPS + """

def arithmetic_intensity(n, k, m, bytes_per_element=4):
    return matmul_flops(n, k, m) / (4 * (n * k + k * m + n * m))""",
        "fails": {"test_intensity"},
    },
    "intensity inverted (bytes per FLOP)": {
        "cell": "matmul_flops",
        "hint": "Arithmetic intensity is work per byte moved: check which quantity is divided by which.",
        "code": _FLOPS + """

def arithmetic_intensity(n, k, m, bytes_per_element=4):
    return bytes_per_element * (n * k + k * m + n * m) / matmul_flops(n, k, m)""",
        "fails": {"test_intensity"},
    },
    "intensity with integer division": {
        "cell": "matmul_flops",
        "hint": "// rounds down: use true division for a ratio.",
        "code": _FLOPS + """

def arithmetic_intensity(n, k, m, bytes_per_element=4):
    return matmul_flops(n, k, m) // (bytes_per_element * (n * k + k * m + n * m))""",
        "fails": {"test_intensity"},
    },
    'roofline: compute time plus memory time': {
        "cell": "roofline",
        "hint": "The roofline model takes the slower of the two limits, not their sum.",
        "code": """import math


def roofline_time(n, k, m, peak_flops, bandwidth, bytes_per_element=4):
    moved = bytes_per_element * (n * k + k * m + n * m)
    return float(2 * n * k * m / peak_flops + moved / bandwidth)


def smallest_compute_bound_batch(d_in, d_out, peak_flops, bandwidth, bytes_per_element=4):
    r, s, k, m = peak_flops / bandwidth, bytes_per_element, d_in, d_out
    slope = 2 * k * m - r * s * (k + m)
    if slope <= 0:
        return None
    return max(1, math.ceil(r * s * k * m / slope))""",
        "fails": {'test_roofline_time'},
    },
    'roofline: compute time only': {
        "cell": "roofline",
        "hint": "A kernel can be limited by memory bandwidth too: consider both limits.",
        "code": """import math


def roofline_time(n, k, m, peak_flops, bandwidth, bytes_per_element=4):
    return float(2 * n * k * m / peak_flops)


def smallest_compute_bound_batch(d_in, d_out, peak_flops, bandwidth, bytes_per_element=4):
    r, s, k, m = peak_flops / bandwidth, bytes_per_element, d_in, d_out
    slope = 2 * k * m - r * s * (k + m)
    if slope <= 0:
        return None
    return max(1, math.ceil(r * s * k * m / slope))""",
        "fails": {'test_roofline_time'},
    },
    "roofline: the output's bytes forgotten": {
        "cell": "roofline",
        "hint": "Count the bytes of the output matrix in the memory traffic too.",
        "code": """import math


def roofline_time(n, k, m, peak_flops, bandwidth, bytes_per_element=4):
    moved = bytes_per_element * (n * k + k * m)
    return float(max(2 * n * k * m / peak_flops, moved / bandwidth))


def smallest_compute_bound_batch(d_in, d_out, peak_flops, bandwidth, bytes_per_element=4):
    r, s, k, m = peak_flops / bandwidth, bytes_per_element, d_in, d_out
    slope = 2 * k * m - r * s * (k + m)
    if slope <= 0:
        return None
    return max(1, math.ceil(r * s * k * m / slope))""",
        "fails": {'test_roofline_time'},
    },
    'batch: the saturation missed, a negative B returned as if it were one': {
        "cell": "roofline",
        "hint": "Some configurations never become compute-bound: check what your formula gives there, and what the exercise wants returned in that case.",
        "code": """import math


def roofline_time(n, k, m, peak_flops, bandwidth, bytes_per_element=4):
    moved = bytes_per_element * (n * k + k * m + n * m)
    return float(max(2 * n * k * m / peak_flops, moved / bandwidth))


def smallest_compute_bound_batch(d_in, d_out, peak_flops, bandwidth, bytes_per_element=4):
    r, s, k, m = peak_flops / bandwidth, bytes_per_element, d_in, d_out
    return max(1, math.ceil(r * s * k * m / (2 * k * m - r * s * (k + m))))""",
        "fails": {'test_compute_bound_batch'},
    },
    'batch: rounded down': {
        "cell": "roofline",
        "hint": "Write the intensity as a function of the batch size, counting every matrix read and written (the weights too), then check that the batch you return is itself compute-bound.",
        "code": """import math


def roofline_time(n, k, m, peak_flops, bandwidth, bytes_per_element=4):
    moved = bytes_per_element * (n * k + k * m + n * m)
    return float(max(2 * n * k * m / peak_flops, moved / bandwidth))


def smallest_compute_bound_batch(d_in, d_out, peak_flops, bandwidth, bytes_per_element=4):
    r, s, k, m = peak_flops / bandwidth, bytes_per_element, d_in, d_out
    slope = 2 * k * m - r * s * (k + m)
    if slope <= 0:
        return None
    return max(1, int(r * s * k * m / slope))""",
        "fails": {'test_compute_bound_batch'},
    },
    "batch: the weights' bytes ignored (intensity taken as 2km / (s(k + m)))": {
        "cell": "roofline",
        "hint": "Write the intensity as a function of the batch size, counting every matrix read and written (the weights too), then check that the batch you return is itself compute-bound.",
        "code": """import math


def roofline_time(n, k, m, peak_flops, bandwidth, bytes_per_element=4):
    moved = bytes_per_element * (n * k + k * m + n * m)
    return float(max(2 * n * k * m / peak_flops, moved / bandwidth))


def smallest_compute_bound_batch(d_in, d_out, peak_flops, bandwidth, bytes_per_element=4):
    if 2 * d_in * d_out / (bytes_per_element * (d_in + d_out)) >= peak_flops / bandwidth:
        return 1
    return None""",
        "fails": {'test_compute_bound_batch'},
    },
    'batch: a search that gives up at 10,000': {
        "cell": "roofline",
        "hint": "Your search stops at a fixed bound: solve for the batch size directly, or search without a ceiling.",
        "code": """import math


def roofline_time(n, k, m, peak_flops, bandwidth, bytes_per_element=4):
    moved = bytes_per_element * (n * k + k * m + n * m)
    return float(max(2 * n * k * m / peak_flops, moved / bandwidth))


def smallest_compute_bound_batch(d_in, d_out, peak_flops, bandwidth, bytes_per_element=4):
    for B in range(1, 10_001):
        if 2 * B * d_in * d_out / (bytes_per_element * (B * d_in + d_in * d_out + B * d_out)) >= peak_flops / bandwidth:
            return B
    return None""",
        "fails": {'test_compute_bound_batch'},
    },
    'batch: the ceiling returned as a float': {
        "cell": "roofline",
        "hint": "A batch size is a whole number: check the type you return.",
        "code": """import math


def roofline_time(n, k, m, peak_flops, bandwidth, bytes_per_element=4):
    moved = bytes_per_element * (n * k + k * m + n * m)
    return float(max(2 * n * k * m / peak_flops, moved / bandwidth))


def smallest_compute_bound_batch(d_in, d_out, peak_flops, bandwidth, bytes_per_element=4):
    r, s, k, m = peak_flops / bandwidth, bytes_per_element, d_in, d_out
    slope = 2 * k * m - r * s * (k + m)
    if slope <= 0:
        return None
    return max(1.0, float(math.ceil(r * s * k * m / slope)))""",
        "fails": {'test_compute_bound_batch'},
    },
}

DEMO = {
    "wrong": "no synchronize",
    "scores": {"alice": 11, "bob": 0, "carol": 10},
}
