"""Fixtures for the fuzz tier: the conformance harness (fixtures `h`, `runtime`, `rootfs`,
the leftover checks at teardown; fuzzlib loads it as `conformance_conftest`, as the
security tier does), and a summary of the counts after the run."""

from __future__ import annotations

import os

import fuzzlib  # noqa: F401  (loads the conformance conftest first)

# Fixtures (h, runtime, rootfs, session_dir, workdir, state_root, ...) and pytest hooks
# (swrun_only), re-exported so pytest and the test modules see them here.
from conformance_conftest import *  # noqa: E402,F401,F403


def pytest_terminal_summary(terminalreporter):
    tr = terminalreporter
    tr.section(f"fuzz counts ({fuzzlib.harness.RUNTIME})")
    for k in sorted(fuzzlib.STATS):
        tr.write_line(f"{k}: {fuzzlib.STATS[k]}")
    if fuzzlib.FINDINGS:
        tr.write_line(f"known defects seen, not failed on ({len(fuzzlib.FINDINGS)}):")
        for f in fuzzlib.FINDINGS[:20]:
            tr.write_line(f"  {f}")
        if len(fuzzlib.FINDINGS) > 20:
            tr.write_line(f"  ... and {len(fuzzlib.FINDINGS) - 20} more (all in $FUZZ_REPORT)")
        if os.environ.get("FUZZ_REPORT"):
            with open(os.environ["FUZZ_REPORT"], "a") as f:
                f.writelines(f"known defect: {x}\n" for x in fuzzlib.FINDINGS)
