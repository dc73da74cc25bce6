"""helpers.devices on a CPU-only machine: device choice (with faked availability), to_device on
nested structures (moved to the 'meta' device, which every torch build has), and time_median's
warm-up, accelerator synchronisation and thread reporting (counted, never timed against a limit)."""
import collections
import os
import time

import pytest
import torch

from helpers import Timing, best_device, device_name, format_seconds, time_median, to_device


@pytest.mark.parametrize("cuda,mps,expected", [
    (True, True, "cuda"), (True, False, "cuda"), (False, True, "mps"), (False, False, "cpu")])
def test_best_device_prefers_cuda_then_mps(monkeypatch, cuda, mps, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    assert best_device() == torch.device(expected)


def test_best_device_here_is_real():
    assert best_device().type in {"cuda", "mps", "cpu"}
    if not torch.cuda.is_available() and not torch.backends.mps.is_available():
        assert best_device() == torch.device("cpu")


Batch = collections.namedtuple("Batch", "x y")


def nested():
    t = torch.arange(6.0).reshape(2, 3)
    return {
        "pair": (t, [t + 1, 7, "label", None]),
        "batch": Batch(t * 2, torch.tensor([1, 0])),
        "ordered": collections.OrderedDict(b=t, a=3.5),
        "default": collections.defaultdict(list, w=t),
    }


def test_to_device_moves_every_tensor_and_keeps_containers():
    data = nested()
    out = to_device(data, "meta")
    assert type(out) is dict and list(out) == ["pair", "batch", "ordered", "default"]
    assert type(out["pair"]) is tuple and type(out["pair"][1]) is list
    assert out["pair"][0].device.type == "meta" and out["pair"][1][0].device.type == "meta"
    assert out["pair"][1][1:] == [7, "label", None]
    assert type(out["batch"]) is Batch and out["batch"].y.device.type == "meta"
    assert out["batch"].y.dtype == torch.int64 and out["batch"].x.shape == (2, 3)
    assert type(out["ordered"]) is collections.OrderedDict and list(out["ordered"]) == ["b", "a"]
    assert out["ordered"]["a"] == 3.5 and out["ordered"]["b"].device.type == "meta"
    assert type(out["default"]) is collections.defaultdict and out["default"].default_factory is list
    assert out["default"]["w"].device.type == "meta"


def test_to_device_leaves_the_input_alone():
    data = nested()
    inner_list = data["pair"][1]
    to_device(data, "meta")
    assert data["pair"][1] is inner_list and inner_list[0].device.type == "cpu"
    assert data["pair"][0].device.type == "cpu" and data["ordered"]["b"].device.type == "cpu"
    assert data["batch"].x.device.type == "cpu"


def test_to_device_on_the_same_device_returns_the_same_tensors():
    t = torch.ones(3)
    out = to_device([t, (t,), {"t": t}], torch.device("cpu"))
    assert out[0] is t and out[1][0] is t and out[2]["t"] is t
    assert to_device(5, "meta") == 5 and to_device("x", "meta") == "x"


def test_to_device_moves_a_module_like_module_to():
    model = torch.nn.Linear(3, 2)
    out = to_device({"model": model}, "meta")
    assert out["model"] is model and model.weight.device.type == "meta"


def test_time_median_warms_up_and_reports_runs():
    calls = []
    result = time_median(lambda: calls.append(1), min_run_time=0.002)
    assert type(result) is Timing and result.median > 0
    assert len(calls) > result.runs >= 1, "Timer runs fn untimed first (warm-up and block sizing)"


def test_time_median_is_at_least_the_work():
    result = time_median(lambda: time.sleep(0.002), min_run_time=0.01)
    assert result.median >= 0.002


def test_time_median_reports_and_restores_threads():
    before = torch.get_num_threads()
    seen = []
    try:
        assert time_median(lambda: seen.append(torch.get_num_threads()), min_run_time=0.001).threads == before
        seen.clear()
        result = time_median(lambda: seen.append(torch.get_num_threads()), threads=2, min_run_time=0.001)
        assert result.threads == 2 and set(seen) == {2}
        assert torch.get_num_threads() == before, "the thread setting must be restored"
        assert time_median(lambda: None, threads="all", min_run_time=0.001).threads == (os.cpu_count() or 1)
    finally:
        torch.set_num_threads(before)


def test_time_median_synchronises_an_accelerator(monkeypatch):
    events = []
    monkeypatch.setattr(torch.accelerator, "is_available", lambda: True)
    monkeypatch.setattr(torch.accelerator, "synchronize", lambda *a: events.append("sync"))
    time_median(lambda: events.append("fn"), min_run_time=0.001)
    assert "sync" in events and events[-1] == "sync", "the clock must be read after a synchronize"
    first_fn = events.index("fn")
    assert "sync" in events[first_fn:], "work launched by fn must be waited for before the clock stops"


def test_timing_prints_its_threads():
    assert str(Timing(0.00123, 10, 1)) == "1.23 ms (median of 10 runs, 1 thread)"
    assert str(Timing(2.5e-6, 3, 2)).endswith("(median of 3 runs, 2 threads)")


def test_format_seconds():
    assert [format_seconds(s) for s in (1.5, 0.0123, 4.56e-6, 7e-9)] == ["1.5 s", "12.3 ms", "4.56 µs", "7 ns"]


def test_device_name_reads_the_cpu_model_and_counts_cores(tmp_path, monkeypatch):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nflags\t: fpu\n")
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert device_name("cpu", cpuinfo=info) == "AMD EPYC 7B13 (2 cores)"
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert device_name(torch.device("cpu"), cpuinfo=info) == "AMD EPYC 7B13 (1 core)"


def test_device_name_without_cpuinfo_falls_back_and_names_gpus(tmp_path, monkeypatch):
    import platform
    monkeypatch.setattr(platform, "processor", lambda: "arm")
    assert device_name("cpu", cpuinfo=tmp_path / "missing").startswith("arm (")
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "NVIDIA Test GPU")
    assert device_name("cuda") == "NVIDIA Test GPU"
    assert device_name("mps") == "Apple GPU (MPS)"
    assert isinstance(device_name(), str) and device_name()
