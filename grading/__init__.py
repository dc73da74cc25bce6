"""The instructor's tooling: release, autograde, feedback, export, the demo class.

Run `python -m grading --help` (the Makefile's targets call it)."""
