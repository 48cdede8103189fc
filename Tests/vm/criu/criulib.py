"""State the CRIU tests and their conftest share (a module of its own: two conftest.py files
cannot be told apart by name)."""

from __future__ import annotations

# (runtime, what, seconds) of every timed checkpoint and restore, printed at the end.
TIMES: list[tuple[str, str, float]] = []
