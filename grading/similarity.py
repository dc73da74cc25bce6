"""Similar submissions: pairs of students whose answer cells share most of their code.

Each student's code answer cells (those the student writes, read from submitted/) are joined into one
document and compared with every other student's by copydetect (winnowing over the token stream,
as MOSS does; variable and function names are replaced by placeholders first, so renaming them
hides nothing). What the course gave everyone is removed first: the starter code of the answer
cells (release/) and the code of the assignment's lecture (notebooks/), whose fingerprints are
copydetect's boilerplate. A pair is listed when the shared tokens cover at least `threshold` of
each student's code (both of them, so a short answer inside a long one is not a pair).

copydetect hashes its k-grams with Python's `hash()`, salted per process, so the fingerprints it
keeps (and a pair's share near the threshold) changed from one run to the next; here they are
hashed with a fixed polynomial instead (`stable_kgrams`), and the report lists the same pairs in
every run.

Similarity is evidence to read, not a verdict: short exercises have few ways to be written, and
two students who followed the lecture closely write alike. The report shows the shared lines side
by side so that a person can judge.
"""
import contextlib
import io
import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import nbformat

from . import cells, course

K, WINDOW = 20, 5          # k-gram length and winnowing window, in characters of the filtered code
THRESHOLD = 0.8            # the least share of each student's code the pair must share
MIN_TOKENS = 60            # documents shorter than this (after boilerplate) are not compared


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    similarity: float       # the smaller of the two shares
    shares: tuple           # (share of a's code, share of b's code)
    code: tuple             # (a's code, b's code)
    slices: tuple           # where the shared code lies in each (copydetect's slices)

    @property
    def shared_a(self):
        """a's code as HTML, the shared parts marked."""
        return _marked(self.code[0], self.slices[0])

    @property
    def shared_b(self):
        return _marked(self.code[1], self.slices[1])


def _answers_of(nb_json, ids):
    found = {}
    for cell in nb_json.get("cells", []) if isinstance(nb_json, dict) else []:
        cell_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") if isinstance(cell, dict) else None
        if cell_id in ids:
            source = cell.get("source", "")
            found[cell_id] = "".join(source) if isinstance(source, list) else str(source)
    return found


def answer_ids(root, name):
    """[(notebook, answer grade_id)] of the assignment's code answer cells, in notebook order."""
    out = []
    for path in sorted((Path(root) / "release" / name).glob("*.ipynb")):
        out += [(path.stem, cells.grade_id(c)) for c in nbformat.read(path, as_version=4).cells
                if cells.is_answer(c) and c.cell_type == "code"]
    return out


def documents(root, name):
    """{student: their answer cells joined} for every student who submitted `name`."""
    ids = answer_ids(root, name)
    out = {}
    for student in course.students(root, name):
        parts = []
        for notebook in sorted({nb for nb, _ in ids}):
            try:
                with open(Path(root) / "submitted" / student / name / f"{notebook}.ipynb", encoding="utf-8") as f:
                    found = _answers_of(json.load(f), {i for nb, i in ids if nb == notebook})
            except (OSError, ValueError):
                found = {}
            parts += [found.get(i, "") for nb, i in ids if nb == notebook]
        out[student] = "\n\n".join(p for p in parts if p.strip())
    return out


def boilerplate(root, name):
    """The code every student was given: the answer cells' starter code and the lecture's cells."""
    parts = []
    for path in sorted((Path(root) / "release" / name).glob("*.ipynb")):
        parts += [c.source for c in nbformat.read(path, as_version=4).cells if cells.is_answer(c) and c.cell_type == "code"]
    number = name.split("_", 1)[0]
    for folder in (Path(root) / "notebooks", course.REPO / "notebooks"):
        lectures = sorted(folder.glob(f"{number}_*.ipynb"))
        if lectures:
            for path in lectures:
                parts += [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
            break
    return "\n\n".join(parts)


def stable_kgrams(string, k):
    """The hashes of every k-gram (k characters) of `string`, the same in every process: a polynomial
    in the characters' code points, modulo 2**64 (copydetect's own uses the salted `hash()`)."""
    import numpy as np
    codes = np.frombuffer(string.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(codes) < k:
        return np.array([], dtype=np.int64)
    powers = np.uint64(1_000_003) ** np.arange(k - 1, -1, -1, dtype=np.uint64)   # wraps modulo 2**64
    windows = np.lib.stride_tricks.sliding_window_view(codes, k)
    return (windows * powers).sum(axis=1, dtype=np.uint64).view(np.int64)


@contextlib.contextmanager
def _stable_hashes():
    """copydetect's fingerprints made with `stable_kgrams` for the length of the block."""
    from copydetect import utils
    saved, utils.hashed_kgrams = utils.hashed_kgrams, stable_kgrams
    try:
        yield
    finally:
        utils.hashed_kgrams = saved


def _fingerprint(label, code, base=None):
    from copydetect import CodeFingerprint
    return CodeFingerprint(f"{label}.py", K, WINDOW, boilerplate=base, fp=io.StringIO(code))


def _marked(code, slices):
    from copydetect.utils import highlight_overlap
    marked, _ = highlight_overlap(code, slices, "<mark>", "</mark>", escape_html=True)
    return marked


def similar(docs, base="", threshold=THRESHOLD):
    """[Pair] of the documents ({student: code}) that share at least `threshold` of each one's
    code once `base` (boilerplate) is removed, the most similar first."""
    import numpy as np
    from copydetect.detector import compare_files
    with _stable_hashes():
        base_hashes = np.array(sorted(_fingerprint("base", base).hashes)) if base.strip() else None
        prints = {s: _fingerprint(s, code, base_hashes) for s, code in sorted(docs.items()) if code.strip()}
    prints = {s: p for s, p in prints.items() if p.token_coverage >= MIN_TOKENS and p.hashes}
    pairs = []
    for a, b in itertools.combinations(sorted(prints), 2):
        ha, hb = prints[a].hashes, prints[b].hashes
        if len(ha & hb) < threshold * 0.5 * min(len(ha), len(hb)):   # cheap bound: far apart
            continue
        _, shares, (slices_a, slices_b) = compare_files(prints[a], prints[b])
        shares = (float(shares[0]), float(shares[1]))
        if min(shares) >= threshold:
            pairs.append(Pair(a, b, min(shares), shares, (prints[a].raw_code, prints[b].raw_code),
                              (slices_a, slices_b)))
    return sorted(pairs, key=lambda p: (-p.similarity, p.a, p.b))


def for_class(root, name, threshold=THRESHOLD):
    """The similar pairs of the submissions of `name`."""
    return similar(documents(root, name), boilerplate(root, name), threshold)
