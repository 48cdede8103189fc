#!/bin/bash
# guest.sh SUITE [SUITE...]: runs inside the test VM (scripts/vm/test-vm.sh boots it). Each SUITE
# is one pytest session, its paths separated by spaces; the exit status is non-zero if any failed.
# The runtime under test is copied to the guest's tmpfs first: over the 9p root (no page cache)
# every exec of a 30 MB binary reads it again through the emulated virtio, which made each test
# several times slower.
set -u
bin=$TMPDIR/vmbin
mkdir -p "$bin"
cp "$RUNTIME" "$bin/" || exit 1
export RUNTIME="$bin/$(basename "$RUNTIME")"
status=0
summary=""
for suite in "$@"; do
    # shellcheck disable=SC2086  # a suite is a list of paths
    python3 -m pytest $PYTEST_ARGS $suite
    rc=$?
    summary+="[vm] $suite: exit $rc"$'\n'
    [ $rc = 0 ] || status=1
done
printf %s "$summary"
exit $status
