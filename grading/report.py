"""What the instructor reads after a run: the per-student table and a summary of the class."""
import statistics
from collections import Counter

from .status import Status


def format_table(results):
    """Render {(assignment, student): (score, max, status)} as an aligned text table, sorted."""
    rows = [("assignment", "student", "autograded", "status")]
    for (name, student), (score, maximum, status) in sorted(results.items()):
        state = Status.parse(status)
        shown = f"{score:g} / {maximum:g}" if maximum is not None and not state.broken else "-"
        rows.append((name, student, shown, state.shown()))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3] for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def summary(results, bins=5, width=30):
    """Counts per status kind, mean and median autograded score and a text histogram, per
    assignment of {(assignment, student): (score, max, status)}."""
    out = []
    for name in sorted({a for a, _ in results}):
        rows = [v for (a, _), v in results.items() if a == name]
        kinds = Counter(Status.parse(s).kind for _, _, s in rows)
        scores = [score or 0.0 for score, _, _ in rows]
        maximum = max((m for _, m, _ in rows if m is not None), default=0)
        out.append(f"{name}: {len(rows)} {'student' if len(rows) == 1 else 'students'} — "
                   + ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())))
        out.append(f"  autograded score (of {maximum:g}): mean {statistics.fmean(scores):.1f}, "
                   f"median {statistics.median(scores):g} (submissions that could not be graded count as 0)")
        if maximum:
            counts = [0] * bins
            for score in scores:
                counts[min(bins - 1, int(bins * score / maximum))] += 1
            top = max(counts)
            for i, count in enumerate(counts):
                low, high = maximum * i / bins, maximum * (i + 1) / bins
                bracket = "]" if i == bins - 1 else ")"
                bar = "#" * round(width * count / top) if top else ""
                out.append(f"  [{low:4.3g}, {high:4.3g}{bracket}  {bar} {count}")
    return "\n".join(out)
