"""The course's helpers: small, documented functions that the lessons import.

    from helpers import set_seed, describe

Each submodule holds one topic and names the lesson that uses it. Importing this package does
no work: no file reads, no seeding, no plot-style changes.
"""
from .core import describe, set_seed

__all__ = ["describe", "set_seed"]
