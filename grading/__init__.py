"""The instructor's tooling: release, autograde, feedback, export, the demo class.

Run `python -m grading --help` (the Makefile's targets call it)."""
import sys

# jsonschema (under nbformat) imports rfc3987_syntax when it is installed (jupyterlab's
# dependencies bring it), which compiles a grammar as it is imported: a second of every grading
# process's, worker's and command's start, for the "iri" formats no notebook schema uses. The
# grader's processes go without it; a kernel forked from the template gets it back
# (grading/zygote.py drops this entry).
NO_IMPORT = ("rfc3987_syntax",)
for _name in NO_IMPORT:
    sys.modules.setdefault(_name, None)
