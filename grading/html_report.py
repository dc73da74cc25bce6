"""`make report A=<assignment>`: what the instructor reads after grading, as one static HTML page.

build/report/<assignment>/index.html in the course folder, with its figures beside it (PNG, made
by matplotlib; no server, no script): the class in numbers, the tests the most failed first (pass
rate, difficulty, discrimination: grading/analytics.py), the score distribution, the time each
submission's notebooks ran, the statuses, late submissions and extensions, the mistake clusters
with a representative answer each (grading/clusters.py), and the similar pairs with their shared
code side by side (grading/similarity.py). The page shows students' code and ids: it is for the
instructor, and lives in build/, which git ignores.
"""
import html
import json
from pathlib import Path

from . import analytics, clusters, similarity
from .status import Status

STYLE = """body{font-family:sans-serif;max-width:70em;margin:1em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
th{background:#f0f0f0}.num{text-align:right}.low{background:#fde2e2}
figure{display:inline-block;width:47%;margin:.5em;vertical-align:top}figure img{max-width:100%}figcaption{font-size:85%}
pre{background:#f7f7f7;padding:.5em;overflow-x:auto;font-size:85%;margin:0}mark{background:#ffe08a}
.pair td{width:50%}.note{color:#555;font-size:90%}"""
LOW_DISCRIMINATION = 0.2   # below this a test hardly separates strong from weak submissions


def _esc(value):
    return html.escape(str(value))


def _pct(x):
    return f"{100 * x:.0f}%"


def figures(data, stats, folder):
    """Write the report's PNG figures into `folder`; return {name: (file, caption)}."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    folder = Path(folder)
    made = {}

    def save(fig, key, caption):
        fig.tight_layout()
        fig.savefig(folder / f"{key}.png", dpi=90)
        plt.close(fig)
        made[key] = (f"{key}.png", caption)

    totals = [data.total(s) for s in data.students]
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.hist(totals, bins=min(20, max(5, int(data.maximum) + 1)), range=(0, data.maximum or 1), color="#4c72b0")
    ax.set(xlabel=f"autograded score (of {data.maximum:g})", ylabel="students", title="Score distribution")
    save(fig, "scores", "Score distribution (submissions that could not be graded count as 0)")

    fig, ax = plt.subplots(figsize=(6, 0.6 + 0.3 * len(stats)))
    ax.barh([s.test for s in stats][::-1], [100 * s.pass_rate for s in stats][::-1], color="#55a868")
    ax.set(xlabel="pass rate (%)", xlim=(0, 100), title="Pass rate per test (most failed at the top)")
    save(fig, "pass_rate", "Pass rate per test")

    fig, ax = plt.subplots(figsize=(5, 3.5))
    shown = [s for s in stats if s.discrimination is not None]
    ax.scatter([s.difficulty for s in shown], [s.discrimination for s in shown], color="#c44e52")
    for s in shown:
        ax.annotate(s.test, (s.difficulty, s.discrimination), fontsize=6)
    ax.axhline(LOW_DISCRIMINATION, color="#999", lw=0.8, ls="--")
    ax.set(xlabel="difficulty (mean share of the points)", ylabel="discrimination (r)", xlim=(-0.05, 1.05),
           ylim=(-1.05, 1.05), title="Difficulty and discrimination")
    save(fig, "items", "Difficulty and discrimination of each test (the dashed line: 0.2)")

    times = [t for t in data.seconds.values() if t is not None]
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.hist(times or [0], bins=20, color="#8172b2")
    ax.set(xlabel="seconds the notebooks ran", ylabel="students", title="Time to grade")
    save(fig, "time", "Time to grade each submission (its notebooks' cells, first to last)")

    counts = analytics.statuses(data)
    fig, ax = plt.subplots(figsize=(4, 2.5))
    ax.bar(list(counts), list(counts.values()), color="#dd8452")
    ax.set(ylabel="students", title="Statuses")
    save(fig, "statuses", "Statuses: graded, error, timeout, limit")

    late = [v / 3600 for v in data.late.values() if v > 0]
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.hist(late or [0], bins=20, color="#937860")
    ax.set(xlabel="hours late (after the due date and any extension)", ylabel="students",
           title=f"Late submissions: {len(late)}")
    save(fig, "late", "Late submissions")
    return made


def _tests_table(stats, groups):
    largest = {}
    for group in groups:
        largest.setdefault(group.test, group)
    rows = ["<table id='tests'><tr><th>test</th><th>points</th><th>passed</th><th>pass rate</th>"
            "<th>difficulty</th><th>discrimination</th><th>largest cluster</th></tr>"]
    for s in stats:
        d = "-" if s.discrimination is None else f"{s.discrimination:.2f}"
        low = " class='num low'" if s.discrimination is not None and s.discrimination < LOW_DISCRIMINATION else " class='num'"
        group = largest.get(s.test)
        big = f"{len(group.students)}: {_esc(', '.join(group.mistakes) or group.how)}" if group else ""
        rows.append(f"<tr><td>{_esc(s.test)}</td><td class='num'>{s.max_points:g}</td>"
                    f"<td class='num'>{s.passed} / {s.students}</td><td class='num'>{_pct(s.pass_rate)}</td>"
                    f"<td class='num'>{s.difficulty:.2f}</td><td{low}>{d}</td><td>{big}</td></tr>")
    return "\n".join(rows) + "</table>"


def _clusters_section(root, name, groups, entries, failures, limit=40):
    where = clusters.answer_cells(root, name)
    checks = clusters.checks_of(root, name)
    starters = clusters.starter_cells(root, name)
    out = []
    for index, group in enumerate(groups[:limit]):
        notebook, cell = where.get(group.test, (None, None))
        code = clusters.answer_source(root, name, group.students[0], notebook, cell) if cell else ""
        if group.mistakes:
            hinted = [m for m in group.mistakes if isinstance(entries.get(m, {}).get("hint"), str)]
            named = "known mistake: " + "; ".join(_esc(m) + (" (has a hint)" if m in hinted else " (no hint)")
                                                  for m in group.mistakes)
        elif code.strip() == starters.get(cell, "").strip():
            named = "the starter code, unchanged (not attempted)"
        else:
            fails = sorted(t for t in failures.get(group.students[0], {}) if t in checks.get(cell, ()))
            entry = {"cell": cell, "hint": "<one sentence: what to look at, never the answer>",
                     "code": code, "fails": fails}
            named = ("not a known mistake. <details><summary>To name it and give these students a hint</summary>"
                     f"add to tests/mistakes/{_esc(name)}.py's MISTAKES an entry such as "
                     f"<pre>{_esc(json.dumps({'<what the mistake is>': entry}, indent=4))}</pre>"
                     "(its fails: every test it fails), then run <code>make report</code> and "
                     "<code>make feedback</code> again (docs/report.md)</details>")
        shown = ", ".join(group.students[:12]) + (f" and {len(group.students) - 12} more" if len(group.students) > 12 else "")
        out.append(f"<div class='cluster' id='cluster-{index}'><h3>{len(group.students)} "
                   f"{'student' if len(group.students) == 1 else 'students'}: {_esc(group.test)}, {_esc(group.how)}</h3>"
                   f"<p>{named}</p><p class='note'>students: {_esc(shown)}</p>"
                   f"<p class='note'>answer cell {_esc(cell)} of {_esc(group.students[0])}:</p><pre>{_esc(code)}</pre></div>")
    more = f"<p class='note'>and {len(groups) - limit} smaller clusters</p>" if len(groups) > limit else ""
    return "\n".join(out) + more if out else "<p>No test failed.</p>"


def _pairs_section(pairs, limit=30):
    if not pairs:
        return "<p>No pair of submissions above the threshold.</p>"
    out = []
    for pair in pairs[:limit]:
        out.append(f"<h3>{_esc(pair.a)} and {_esc(pair.b)}: {_pct(pair.similarity)} shared</h3>"
                   f"<table class='pair'><tr><th>{_esc(pair.a)} ({_pct(pair.shares[0])} of the code shared)</th>"
                   f"<th>{_esc(pair.b)} ({_pct(pair.shares[1])})</th></tr>"
                   f"<tr><td><pre>{pair.shared_a}</pre></td><td><pre>{pair.shared_b}</pre></td></tr></table>")
    return "\n".join(out)


def _problems_section(data):
    rows = [(s, data.status[s]) for s in data.students if Status.parse(data.status[s]).kind != "graded"]
    late = [(s, data.late[s]) for s in data.students if data.late.get(s, 0) > 0]
    ext = [(s, data.extension[s]) for s in data.students if data.extension.get(s)]
    parts = ["<table id='statuses'><tr><th>student</th><th>status</th></tr>"
             + "".join(f"<tr><td>{_esc(s)}</td><td>{_esc(Status.parse(v).shown())}</td></tr>" for s, v in rows)
             + "</table>" if rows else "<p>Every submission was graded.</p>"]
    parts.append("<table id='late'><tr><th>student</th><th>hours late</th><th>penalty (points)</th></tr>"
                 + "".join(f"<tr><td>{_esc(s)}</td><td class='num'>{v / 3600:.1f}</td>"
                           f"<td class='num'>{data.penalty.get(s, 0):g}</td></tr>" for s, v in late)
                 + "</table>" if late else "<p>No late submission.</p>")
    parts.append("<p>Extensions: " + ", ".join(f"{_esc(s)} ({v / 3600:.1f} h)" for s, v in ext) + "</p>"
                 if ext else "<p>No extension recorded.</p>")
    return "\n".join(parts)


def write(root, name, target=None, settings=None, out=print, threshold=similarity.THRESHOLD):
    """Write the report of assignment `name`; return the path of its index.html."""
    root = Path(root).resolve()
    folder = Path(target) if target else root / "build" / "report" / name
    folder.mkdir(parents=True, exist_ok=True)
    data = analytics.load(root, name)
    stats = analytics.per_test(data)
    entries = clusters.spec(name)
    known = clusters.mistake_signatures(root, name, settings, out=out) if entries else {}
    groups = clusters.cluster(data.failures, data.tests, known)
    pairs = similarity.for_class(root, name, threshold)
    made = figures(data, stats, folder)
    numbers = analytics.summary(data)
    took = "-" if numbers["median_seconds"] is None else \
        f"median {numbers['median_seconds']:.1f} s, longest {numbers['max_seconds']:.1f} s"
    figure = "".join(f"<figure><img src='{_esc(f)}' alt='{_esc(c)}'><figcaption>{_esc(c)}</figcaption></figure>"
                     for f, c in made.values())
    page = f"""<!DOCTYPE html>
<html><head><meta charset='utf-8'><title>{_esc(name)}: grading report</title><style>{STYLE}</style></head>
<body><h1>{_esc(name)}: grading report</h1>
<p>{numbers['students']} submissions; autograded score (of {numbers['maximum']:g}): mean {numbers['mean']:.1f},
median {numbers['median']:g}. Statuses: {_esc(', '.join(f'{n} {k}' for k, n in analytics.statuses(data).items()))}.
Time to grade: {took}. Late: {numbers['late']}, with an extension: {numbers['extended']}, penalised: {numbers['penalised']}.</p>
<h2>Tests, the most failed first</h2>
<p class='note'>pass rate: the share of submissions with the test's full points; difficulty: the mean share of its
points; discrimination: the correlation between passing it and the score on the other tests (below
{LOW_DISCRIMINATION} marked: the test hardly separates strong from weak submissions).</p>
{_tests_table(stats, groups)}
<h2>Figures</h2>{figure}
<h2>Mistake clusters</h2>
<p class='note'>Students whose failing test failed the same way (same check, same kind of difference, same values
within tolerance), the largest first, named when a known mistake of tests/mistakes/{_esc(name)}.py fails the same way.</p>
{_clusters_section(root, name, groups, entries, data.failures)}
<h2>Similar submissions</h2>
<p class='note'>Pairs whose answer cells share at least {_pct(threshold)} of each one's code once the starter code and
the lecture's code are removed (copydetect). Similarity is evidence to read, not a verdict: short exercises
have few ways to be written.</p>
{_pairs_section(pairs)}
<h2>Submissions that were not graded, late submissions, extensions</h2>
{_problems_section(data)}
</body></html>
"""
    (folder / "index.html").write_text(page, encoding="utf-8")
    return folder / "index.html"
