"""A student's grading status: what the gradebook records and the table shows.

    graded                    every notebook ran; the scores say the rest
    error: <why>              the submission could not be graded (missing, broken, crashed kernel)
    timeout: <why>            a cell or the notebook ran past its time
    limit: <what ran out>     the kernel hit a cap of the sandbox (memory, disk, processes, CPU)
"""
from dataclasses import dataclass

KINDS = ("graded", "error", "timeout", "limit")


@dataclass(frozen=True)
class Status:
    kind: str
    why: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown status kind {self.kind!r}")

    def __str__(self):
        return f"{self.kind}: {self.why}" if self.why else self.kind

    @property
    def broken(self):
        """No score can be shown: the submission could not be graded at all."""
        return self.kind == "error"

    def shown(self):
        """'graded' as it is; anything else with its kind in capitals ('ERROR: not valid JSON ...')."""
        return str(self) if self.kind == "graded" else f"{self.kind.upper()}: {self.why}"

    @classmethod
    def parse(cls, text):
        """The Status a recorded string stands for (an unknown one reads as an error)."""
        kind, sep, why = str(text).partition(": ")
        if kind in KINDS and (sep or kind == "graded"):
            return cls(kind, why)
        return cls("error", str(text))


GRADED = Status("graded")


def error(why):
    return Status("error", why)


def timeout(why):
    return Status("timeout", why)


def limit(why):
    return Status("limit", why)


def combine(problems):
    """One status for a student from their notebooks' problems ({notebook: Status}): graded when
    there are none, else the first one's kind and every reason."""
    if not problems:
        return GRADED
    ordered = [problems[k] for k in sorted(problems)]
    return Status(ordered[0].kind, "; ".join(str(p) if p.kind != ordered[0].kind else p.why for p in ordered))


def blame(err, step):
    """The status of a student whose submission made `step` ('read', 'prepared', 'recorded') fail
    with `err`."""
    text = str(err).splitlines()[0][:160] if str(err) else ""
    return error(f"the submission could not be {step}: {type(err).__name__}" + (f": {text}" if text else ""))
