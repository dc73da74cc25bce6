"""helpers.time_median against torch.utils.benchmark.Timer run directly, on a CPU matmul.

    python benchmarks/timing_helper.py

Both time the same 256x256 float32 matmul with one thread, in short alternating rounds (so that a
neighbour's load on a shared machine hits both alike, and neither always goes first). Each round
gives a median; the median over the rounds of each is printed, with their ratio. Exits 1 if they
disagree by more than 10 %. On a 2-core machine shared with other busy processes, single rounds
of the same code varied several-fold, hence the many rounds and the median over them.
"""
import statistics
import sys
from pathlib import Path

import torch
from torch.utils.benchmark import Timer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from helpers import format_seconds, time_median  # noqa: E402

N, THREADS, ROUNDS, MIN_RUN_TIME, TOLERANCE = 256, 1, 40, 0.02, 0.10


def main():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(N, N, generator=g), torch.randn(N, N, generator=g)
    helper, direct = [], []
    timer = Timer(stmt="a @ b", globals={"a": a, "b": b}, num_threads=THREADS)
    for round_ in range(ROUNDS):
        for which in ((0, 1) if round_ % 2 == 0 else (1, 0)):
            if which == 0:
                helper.append(time_median(lambda: a @ b, threads=THREADS, min_run_time=MIN_RUN_TIME).median)
            else:
                direct.append(timer.blocked_autorange(min_run_time=MIN_RUN_TIME).median)
    h, d = statistics.median(helper), statistics.median(direct)
    ratio = h / d
    print(f"matmul {N}x{N} @ {N}x{N}, float32, CPU, {THREADS} thread, median of {ROUNDS} alternating rounds")
    print(f"helpers.time_median          : {format_seconds(h)}")
    print(f"benchmark.Timer run directly : {format_seconds(d)}")
    print(f"ratio helper / Timer         : {ratio:.3f} (must lie within 1 ± {TOLERANCE:.2f})")
    if abs(ratio - 1) > TOLERANCE:
        print("FAIL: the helper disagrees with Timer by more than 10 %")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
