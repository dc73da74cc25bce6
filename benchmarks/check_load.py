"""Load on Check my work: N simulated students each press Check twice within one minute, against
`make hub`'s JupyterHub and its check service on 127.0.0.1 (as root, like the hub tests).

    .venv/bin/python benchmarks/check_load.py [--students 200] [--per-hour 1] [--window 60] [--workers 2]

The hub (deploy/jupyterhub_config.py, the test-only dummy authenticator, tests/hub_support.py)
serves a scratch course with lesson 1 graded once; each student logs in for a token (no server
is started: a check needs none), then a bounded asyncio client (at most --concurrency requests
in flight) sends each student's two presses at random moments of the window, alternating the full
solution and the blank copy, and polls each accepted check until its verdict. With a limit of
--per-hour checks, exactly N x per-hour checks must be accepted and the rest refused.
Printed: accepted, refused and lost requests; checks executed more than once (from the
service's log, one line per execution); p50 / p95 / max time from press to verdict; the peak
resident memory of the hub, of the proxy and of the check service with its workers and kernels.
Exits 1 when a request is lost, a check ran twice, a verdict is wrong, or the limits are not exact.
"""
import argparse
import asyncio
import collections
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO)]   # tests/ first: its conftest (hub_support imports it)

NAME = "01_tensor_basics"
FILE = f"{NAME}.ipynb"


def tree_rss(pid):
    """Resident bytes of `pid` and its descendants."""
    children = collections.defaultdict(list)
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                ppid = int(open(f"/proc/{entry.name}/stat").read().rsplit(")", 1)[1].split()[1])
                children[ppid].append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            for line in open(f"/proc/{p}/status"):
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def rss(pid):
    return next((int(line.split()[1]) * 1024 for line in open(f"/proc/{pid}/status") if line.startswith("VmRSS:")), 0)


class Peaks(threading.Thread):
    """Samples the memory of the hub, the proxy and the check service (with its workers) every 0.5 s."""

    def __init__(self, pids):
        super().__init__(daemon=True)
        self.pids, self.peak, self.stop = pids, collections.Counter(), threading.Event()

    def run(self):
        while not self.stop.wait(0.5):
            for name, (pid, tree) in self.pids.items():
                try:
                    self.peak[name] = max(self.peak[name], tree_rss(pid) if tree else rss(pid))
                except OSError:
                    pass


async def student(session, hub, token, notebooks, window, results, limit):
    import aiohttp
    headers = {"Authorization": f"token {token}"}
    for press, delay in enumerate(sorted(random.uniform(0, window) for _ in range(2))):
        await asyncio.sleep(max(0, delay - (time.monotonic() - results["t0"])))
        started = time.monotonic()
        body = {"notebooks": {FILE: notebooks[press % 2]}}
        try:
            async with limit:
                async with session.post(hub.url + hub.check + f"api/checks/{NAME}", json=body, headers=headers) as r:
                    status, answer = r.status, await r.json()
        except (aiohttp.ClientError, asyncio.TimeoutError) as err:
            results["lost"].append(repr(err))
            continue
        if status != 202:
            results["refused" if status == 429 else "other"].append((status, answer.get("reason")))
            continue
        results["accepted"].append(answer["id"])
        while True:
            await asyncio.sleep(0.5)
            try:
                async with limit:
                    async with session.get(hub.url + hub.check + f"api/checks/{answer['id']}", headers=headers) as r:
                        state = await r.json()
            except (aiohttp.ClientError, asyncio.TimeoutError):
                continue
            if state["state"] in ("done", "failed"):
                results["times"].append(time.monotonic() - started)
                results["verdicts"].append((press % 2, state["state"], (state.get("result") or {}).get("score")))
                break


async def load(hub, tokens, notebooks, window, concurrency):
    import aiohttp
    results = collections.defaultdict(list)
    results["t0"] = time.monotonic()
    limit = asyncio.Semaphore(concurrency)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        await asyncio.gather(*(student(session, hub, t, notebooks, window, results, limit) for t in tokens))
    results["wall"] = time.monotonic() - results["t0"]
    return results


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=200)
    p.add_argument("--per-hour", type=int, default=1)
    p.add_argument("--window", type=float, default=60.0)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--concurrency", type=int, default=50)
    args = p.parse_args()
    if os.getuid() != 0:
        sys.exit("run as root: the hub starts as `sudo make hub` does (tests/hub_support.py)")
    import hub_support
    from grading import check_store, course, demo, grader, sandbox
    from nbgrader.api import Gradebook

    base = Path(tempfile.mkdtemp(prefix="checkload-", dir="/tmp"))
    os.chmod(base, 0o755)
    try:
        root = demo.make_course(base / "course", [NAME])
        demo.write_class(root, NAME)
        grader.grade(root, NAME, grader.Settings(workers=2, sandbox=sandbox.bwrap_available()),
                     out=lambda *_: None, progress=False)
        api = course.nbgrader_api(root)
        with Gradebook(api.coursedir.db_url, api.coursedir.course_id) as gb:
            check_store.set_limits(gb.db, NAME, check_store.Limits(per_hour=args.per_hour, per_day=None, total=None))
            gb.db.commit()
        os.chmod(root, 0o750)
        names = [f"load{i:03d}" for i in range(args.students)]
        (base / "state").mkdir()
        env = dict(COURSE_ROOT=str(root), COURSE_EXCHANGE=str(base / "exchange"), COURSE_ID="loadcourse",
                   COURSE_INSTRUCTORS="loadteacher", COURSE_STUDENTS=",".join(names),
                   COURSE_CHECK_WORKERS=str(args.workers), COURSE_HUB_CHECK_PORT=str(hub_support.free_ports(1)[0]), COURSE_CHECK_SANDBOX=str(int(sandbox.bwrap_available())),
                   COURSE_CHECK_QUEUE="1000", COURSE_CHECK_PER_STUDENT="2")
        notebooks = [json.loads((root / "submitted" / s / NAME / FILE).read_text()) for s in ("alice", "bob")]
        full = demo.expected_scores(NAME)["alice"]
        with hub_support.running_hub(base / "state", env) as hub:
            hub.check = "/services/loadcourse-check/"
            tokens = [hub.login(n) for n in names]
            deadline = time.monotonic() + 120
            while hub.api("GET", hub.check + "api/assignments", token=tokens[0]).status_code != 200:
                assert time.monotonic() < deadline, hub.tail()
                time.sleep(0.5)
            # one check first, so the service has its reference and workers ready (not timed)
            warm = hub.api("POST", hub.check + f"api/checks/{NAME}", token=hub.login("loadteacher"),
                           json={"notebooks": {FILE: notebooks[0]}}).json()
            while hub.api("GET", hub.check + f"api/checks/{warm['id']}", token=hub.login("loadteacher")).json()["state"] in ("queued", "running"):
                time.sleep(0.5)
            service = [pid for pid, argv in hub_support_processes(root) if any("check_service.py" in a for a in argv)]
            proxy = int((base / "state" / "jupyterhub-proxy.pid").read_text())
            peaks = Peaks({"hub": (hub.process.pid, False), "proxy": (proxy, False), "check service": (service[0], True)})
            peaks.start()
            results = asyncio.run(load(hub, tokens, notebooks, args.window, args.concurrency))
            peaks.stop.set()
            log = Path(hub.log).read_text(errors="replace")
        runs = collections.Counter(re.findall(r"check ([0-9a-f]{32}) executing", log))
    finally:
        shutil.rmtree(base, ignore_errors=True)

    presses = 2 * args.students
    expected_accepted = args.students * min(2, args.per_hour)
    accepted, refused = len(results["accepted"]), len(results["refused"])
    twice = [i for i in results["accepted"] if runs[i] != 1]
    wrong = [v for v in results["verdicts"] if v[1] != "done" or v[2] != (full if v[0] == 0 else 0)]
    times = sorted(results["times"])
    q = statistics.quantiles(times, n=20) if len(times) >= 2 else [float("nan")] * 19
    print(f"{args.students} students x 2 presses in {args.window:g} s, {args.workers} check workers, "
          f"limit {args.per_hour} per hour; all done in {results['wall']:.1f} s")
    print(f"requests: {presses} sent, {accepted} accepted (expected {expected_accepted}), {refused} refused by the limit, "
          f"{len(results['other'])} other answers, {len(results['lost'])} lost")
    print(f"checks executed other than once: {len(twice)}; wrong verdicts: {len(wrong)}")
    print(f"time to verdict: p50 {statistics.median(times):.1f} s, p95 {q[18]:.1f} s, max {times[-1]:.1f} s "
          f"({len(times)} verdicts)")
    print("peak resident memory: " + ", ".join(f"{k} {v / 2**20:.0f} MiB" for k, v in peaks.peak.items())
          + " (check service: with its workers and kernels)")
    ok = (not results["lost"] and not results["other"] and not twice and not wrong
          and accepted == expected_accepted and accepted + refused == presses and len(times) == accepted)
    return 0 if ok else 1


def hub_support_processes(root):
    from conftest import processes_naming
    return processes_naming(str(root))


if __name__ == "__main__":
    sys.exit(main())
