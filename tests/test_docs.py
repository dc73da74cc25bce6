"""The documentation: README.md and the MkDocs pages in docs/ (mkdocs.yml). The site builds in
strict mode, every relative link leads to a file (and a heading), every `make` target and
`python -m grading` command the pages name exists, and the README keeps its first screen."""
import argparse
import re
import subprocess
import sys

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
