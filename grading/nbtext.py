"""Write notebooks as plain text and back, with nbgrader cell roles.

A notebook's text form is a sequence of cells, each opened by a header line:

    # %% markdown
    # %% code tags=nbval-ignore-output
    # %% code nbgrader=solution id=subtract
    # %% code nbgrader=tests id=test_subtract points=2
    # %% markdown nbgrader=manual id=why_inplace points=1
    # %% markdown nbgrader=readonly id=intro

Roles: `solution` (autograded answer cell), `tests` (autograded test cell), `manual`
(manually graded answer), `readonly` (locked instructions). Cell bodies are written as they
are, without comment prefixes. Conversion is lossless for what the course stores (sources,
roles, tags, kernelspec), so `to-nb` then `to-text` gives back the same text.

    python -m grading.nbtext to-nb lesson.txt lesson.ipynb
    python -m grading.nbtext to-text lesson.ipynb > lesson.txt
"""
import hashlib
import sys

import nbformat

HEADER = "# %% "
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python"}

ROLES = {
    "solution": dict(grade=False, solution=True, locked=False),
    "tests": dict(grade=True, solution=False, locked=True),
    "manual": dict(grade=True, solution=True, locked=False),
    "readonly": dict(grade=False, solution=False, locked=True),
}


def _role_of(meta):
    """Return the role name of a cell's nbgrader metadata, or None."""
    for role, flags in ROLES.items():
        if all(bool(meta.get(k)) == v for k, v in flags.items()):
            return role
    raise ValueError(f"unsupported nbgrader metadata: {meta}")


def _cell_id(index, source):
    return hashlib.sha1(f"{index}:{source}".encode()).hexdigest()[:12]


def text_to_notebook(text):
    """Parse the text form into an nbformat v4 notebook (ids are stable across runs)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    chunks = []
    for line in text.splitlines():
        if line.startswith(HEADER):
            chunks.append([line[len(HEADER):].split(), []])
        elif chunks:
            chunks[-1][1].append(line)
        elif line.strip():
            raise ValueError(f"text before the first cell header: {line!r}")
    for index, (words, body) in enumerate(chunks):
        kind, opts = words[0], dict(w.split("=", 1) for w in words[1:])
        source = "\n".join(body).strip("\n")
        if kind == "markdown":
            cell = nbformat.v4.new_markdown_cell(source)
        elif kind == "code":
            cell = nbformat.v4.new_code_cell(source)
        else:
            raise ValueError(f"unknown cell kind {kind!r}")
        cell.id = opts.get("id", _cell_id(index, source))
        if "tags" in opts:
            cell.metadata["tags"] = opts["tags"].split(",")
        if "nbgrader" in opts:
            role = opts["nbgrader"]
            meta = dict(ROLES[role], grade_id=opts["id"], schema_version=3, task=False)
            if meta["grade"]:
                meta["points"] = int(opts["points"]) if opts["points"].isdigit() else float(opts["points"])
            cell.metadata["nbgrader"] = dict(sorted(meta.items()))
            if meta["locked"]:
                cell.metadata["deletable"] = False
                cell.metadata["editable"] = False
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def notebook_to_text(nb):
    """Render a notebook in the text form (outputs are dropped)."""
    out = []
    for cell in nb.cells:
        words = [cell.cell_type]
        tags = cell.metadata.get("tags")
        if tags:
            words.append("tags=" + ",".join(tags))
        meta = cell.metadata.get("nbgrader")
        if meta:
            words.append("nbgrader=" + _role_of(meta))
            words.append("id=" + meta["grade_id"])
            if meta.get("grade"):
                words.append(f"points={meta['points']}")
        out.append(HEADER + " ".join(words))
        out.append(cell.source)
        out.append("")
    return "\n".join(out)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) >= 2 and argv[0] == "to-nb":
        with open(argv[1]) as f:
            nb = text_to_notebook(f.read())
        target = argv[2] if len(argv) > 2 else argv[1].rsplit(".", 1)[0] + ".ipynb"
        nbformat.write(nb, target)
    elif len(argv) == 2 and argv[0] == "to-text":
        sys.stdout.write(notebook_to_text(nbformat.read(argv[1], as_version=4)))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
