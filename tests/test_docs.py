"""The documentation: README.md and the MkDocs pages in docs/ (mkdocs.yml). The site builds in
strict mode, every relative link leads to a file (and a heading), every `make` target and
`python -m grading` command the pages name exists, and the README keeps its first screen."""
import argparse
import re
import shlex
import subprocess
import sys

import nbformat
import pytest
import yaml

from conftest import REPO

README = REPO / "README.md"
DOCS = sorted((REPO / "docs").glob("*.md"))
PAGES = [README, *DOCS]
FENCE = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1[ \t]*$", re.M | re.S)
CODE_SPAN = re.compile(r"`([^`]+)`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.M)


def prose(text):
    """The text outside fenced code blocks and code spans (links and headings live there)."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def code(text):
    """The code the text shows: its fenced blocks and its code spans."""
    blocks = [m.group(0) for m in FENCE.finditer(text)]
    return blocks + CODE_SPAN.findall(FENCE.sub("", text))


def slug(heading):
    """GitHub's anchor for a heading (MkDocs' default gives the same for these pages)."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path):
    return {slug(h) for h in HEADING.findall(FENCE.sub("", path.read_text()))}


def test_the_site_builds_strictly(tmp_path):
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text())
    listed = {next(iter(e.values())) if isinstance(e, dict) else e for e in config["nav"]}
    assert listed == {p.name for p in DOCS}, "mkdocs.yml's nav should list every page of docs/, and only those"
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
                          str(REPO / "mkdocs.yml"), "--site-dir", str(tmp_path / "site")],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert (tmp_path / "site" / "index.html").exists()


def test_every_relative_link_leads_to_a_file_and_heading():
    broken, checked = [], 0
    for page in PAGES:
        for target in LINK.findall(prose(page.read_text())):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):   # https:, mailto: ...
                continue
            path, _, anchor = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            checked += 1
            if not dest.exists() or REPO not in (dest, *dest.parents):
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                broken.append(f"{page.name}: {target} (no heading #{anchor} in {dest.name})")
    assert not broken, "broken links:\n  " + "\n  ".join(broken)
    assert checked >= 20, f"only {checked} relative links found: is the link pattern still right?"


def make_invocations(snippet):
    """The targets of the `make` commands in a piece of code: each command (split at line ends,
    `;`, `&&`, `|`, `(`) that is `make`, after `sudo` and variable assignments, then a target."""
    for command in re.split(r"\n|;|&&|\||\(", snippet):
        words = command.split()
        while words and (words[0] == "sudo" or re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", words[0])):
            words.pop(0)
        if len(words) > 1 and words[0] == "make" and re.fullmatch(r"[a-z][\w-]*", words[1]):
            yield words[1]


def make_targets():
    text = (REPO / "Makefile").read_text()
    phony = re.search(r"^\.PHONY:(.*?)(?<!\\)$", text, re.M | re.S).group(1)
    rules = re.findall(r"^([A-Za-z][\w.-]*)[ \t]*:(?!=)", text, re.M)
    return set(phony.replace("\\", " ").split()) | set(rules)


def grading_commands():
    from grading.__main__ import parser
    sub, = (a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


def test_every_make_target_and_grading_command_named_exists():
    targets, commands = make_targets(), grading_commands()
    unknown, seen = [], set()
    for page in PAGES:
        for snippet in code(page.read_text()):
            for target in make_invocations(snippet):
                seen.add(target)
                if target not in targets:
                    unknown.append(f"{page.name}: make {target}")
            for command in re.findall(r"python -m grading[ \t]+([a-z][\w-]*)", snippet):
                if command not in commands:
                    unknown.append(f"{page.name}: python -m grading {command}")
    assert not unknown, ("not a Makefile target or a command of grading/__main__.py:\n  "
                         + "\n  ".join(unknown))
    assert {"demo", "test", "test-fast", "docs", "grade", "lms-export"} <= seen


def test_the_readme_is_short_and_starts_with_the_two_commands():
    lines = README.read_text().splitlines()
    assert len(lines) < 160, f"README.md has {len(lines)} lines: move the detail to docs/"
    first_screen = "\n".join(lines[:30])
    assert "make demo" in first_screen and "make test" in first_screen


# Every command the pages show is run by a test: the key is what a page shows (`make <target>` or
# `python -m grading <command>`), the value the test that runs it ("<file>::<function>"). A shown
# command missing here fails `test_every_command_shown_is_run_by_a_test`; so does a value naming a
# test that does not exist. Targets too long or too wide to run inside the suite (make test runs
# the suite itself; venv, notebooks, bench) are run as `make -n` dry runs by
# `test_every_make_command_shown_expands`, which also runs every other shown make command dry.
DRY = "test_docs.py::test_every_make_command_shown_expands"
INSTRUCTOR = "test_docs.py::test_the_instructor_path_runs_as_the_pages_show_it"
RUN_BY = {
    "make demo": "test_first_run.py::test_make_demo_grades_without_bubblewrap_and_says_so",
    "python -m grading demo": "test_first_run.py::test_make_demo_grades_without_bubblewrap_and_says_so",
    "make lab": "test_first_run.py::test_make_lab_starts_as_root",
    "make docs": "test_docs.py::test_the_site_builds_strictly",
    "make hub": "test_hub_e2e.py::test_a_class_on_the_hub",
    "make hub-deps": "test_hub_e2e.py::test_a_class_on_the_hub",   # the proxy the hub tests start
    "make test": DRY, "make test-fast": DRY, "make venv": DRY, "make notebooks": DRY, "make bench": DRY,
    **{f"make {t}": INSTRUCTOR for t in ("release", "check-release", "grade", "feedback", "export",
                                         "roster", "due", "lms-export", "autograde", "report",
                                         "extend", "accommodate", "check-limits")},
    **{f"python -m grading {c}": INSTRUCTOR for c in ("", "roster", "due", "lms-export", "report", "feedback",
                                                                "extend", "accommodate", "check-limits")},
}


def shown_commands():
    """{'make <target>' or 'python -m grading <command>': [(page, the command line as shown)]}."""
    found = {}
    for page in PAGES:
        for snippet in code(page.read_text()):
            for line in re.split(r"\n|;|&&|\||\(", snippet):
                for target in make_invocations(line):
                    found.setdefault(f"make {target}", []).append((page.name, line.split("#")[0].strip()))
                for command in re.findall(r"python -m grading(?![\w.])[ \t]*([a-z][\w-]*)?", line):
                    found.setdefault(f"python -m grading {command}".rstrip(), []).append((page.name, line.strip()))
    return found


def test_every_command_shown_is_run_by_a_test():
    shown = shown_commands()
    unmapped = [f"{pages[0][0]}: {command}" for command, pages in shown.items()
                if command not in RUN_BY and command + " " not in RUN_BY]
    assert not unmapped, "commands the docs show that no test runs (add them to RUN_BY):\n  " + "\n  ".join(unmapped)
    missing = [test for test in set(RUN_BY.values())
               if f"def {test.split('::')[1]}(" not in (REPO / "tests" / test.split("::")[0]).read_text()]
    assert not missing, f"RUN_BY names tests that do not exist: {missing}"
    assert {"make grade", "make lms-export", "make demo"} <= set(shown)


def placeholders(line, course):
    """A shown make command with its placeholders filled in, on the scratch course."""
    line = re.sub(r"\[([^\]]*)\]", lambda m: m.group(1).split("|")[0].split("\\")[0], line)
    line = line.replace("A=...", "A=01_tensor_basics").replace("<name>", "01_tensor_basics")
    line = re.sub(r"<[^>]+>", "x.csv", line).replace("[", "").replace("\\", "")
    words = [w for w in shlex.split(line) if w != "sudo"]
    while words and words[0] != "make":
        words.pop(0)
    return words[1:] + [f"COURSE={course}"]


def test_every_make_command_shown_expands(tmp_path):
    """Each make command a page shows, placeholders filled in, is a valid invocation: `make -n`
    (which runs nothing) accepts it and prints the commands it would run."""
    failed = []
    for command, shown in sorted(shown_commands().items()):
        if not command.startswith("make "):
            continue
        for page, line in shown:
            args = placeholders(line, tmp_path)
            done = subprocess.run(["make", "-n", "-C", str(REPO), f"VENV={sys.prefix}", "READY=", *args],
                                  capture_output=True, text=True, timeout=60)
            if done.returncode != 0 or not done.stdout.strip():
                failed.append(f"{page}: {line}: {done.stderr.strip()[-200:]}")
    assert not failed, "shown make commands that make refuses:\n  " + "\n  ".join(failed)


CANVAS_ROSTER = ("Student,ID,SIS User ID,SIS Login ID,Section,01 Tensor Basics (4242)\n"
                 "    Points Possible,,,,,15\n"
                 '"Lovelace, Ada",1001,U1001,ada,DL-01,\n')
MOODLE_ROSTER = ("First name,Last name,Username,Email address\n"
                 "Ada,Lovelace,ada,ada@uni.example\n")


@pytest.mark.slow
def test_the_instructor_path_runs_as_the_pages_show_it(tmp_path, gradebook):
    """The instructor's commands as README.md and docs/ show them, run with make on a scratch
    course (COURSE=) of one assignment and one student who submitted the full solution."""
    from grading import demo, sandbox
    name = "01_tensor_basics"
    root = demo.make_course(tmp_path / "course", [name], gradebook)
    (filename, source_nb, release_nb), = demo.notebooks(root, name)
    folder = root / "submitted" / "ada" / name
    folder.mkdir(parents=True)
    nbformat.write(demo.fill(release_nb, demo.solution_cells(source_nb)), folder / filename)
    (tmp_path / "canvas.csv").write_text(CANVAS_ROSTER)
    (tmp_path / "moodle.csv").write_text(MOODLE_ROSTER)

    def make(*args):
        done = subprocess.run(["make", "-C", str(REPO), f"VENV={sys.prefix}", "READY=", *args, f"COURSE={root}"],
                              capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, f"make {' '.join(args)}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
        return done.stdout

    assert "release/ regenerated" in make("release")
    assert "release/ matches source/" in make("check-release")
    graded = make("grade", f"A={name}", "WORKERS=1", *([] if sandbox.bwrap_available() else ["SANDBOX=0"]))
    full = demo.expected_scores(name)["alice"]
    assert re.search(rf"{name}\s+ada\s+{full:g} / {full:g}\s+graded", graded), graded
    assert "feedback written" in make("feedback", f"A={name}")
    assert "report written to" in make("report", f"A={name}")
    assert "no score would change (1 student)" in make("grade", f"A={name}", "DRY_RUN=1", "WORKERS=1",
                                                 *([] if sandbox.bwrap_available() else ["SANDBOX=0"]))
    assert re.search(r"wrote \d+ rows? to .*grades.csv", make("export"))
    assert "1 student in the gradebook" in make("roster", f"FILE={tmp_path / 'canvas.csv'}")
    assert "is due 2026-03-01 23:59:00" in make("due", f"A={name}", "WHEN=2026-03-01 23:59:00 UTC")
    assert f"ada's deadline for {name}: 2026-03-03 23:59:00 UTC" in make("extend", f"A={name}", "STUDENT=ada", "DAYS=2")
    assert "ada +1" in make("accommodate", "STUDENT=ada", "DAYS=1")
    assert "at most 3 per hour" in make("check-limits", f"A={name}", "PER_HOUR=3")
    canvas = make("lms-export", "LMS=canvas")   # the roster imported above, no ROSTER= needed
    assert "using the Canvas roster imported with make roster" in canvas and "wrote 1 student" in canvas
    assert f"used the student's own deadline (an extension or accommodation): ada ({name})" in canvas
    assert "01 Tensor Basics (4242)" in (root / "canvas_grades.csv").read_text()
    make("roster", f"FILE={tmp_path / 'moodle.csv'}")
    assert "wrote 1 student" in make("lms-export", "LMS=moodle", "BY=email")
    assert "ada@uni.example" in (root / "moodle_grades.csv").read_text()
    assert "ada: graded" in make("autograde", f"A={name}")
    usage = subprocess.run([sys.executable, "-m", "grading"], capture_output=True, text=True, timeout=60)
    assert usage.returncode == 2 and "usage: python -m grading" in usage.stderr
