#!/bin/sh
# The main job, end to end: build swrun, make a busybox bundle, run a container in it.
set -eu
cd "$(dirname "$0")/.."
SWRUN=${SWRUN:-.build/release/swrun}
DEMO=.build/demo
rm -rf "$DEMO" && mkdir -p "$DEMO"
bundles/make-rootfs.sh "$DEMO/rootfs" >/dev/null
"$SWRUN" spec --bundle "$DEMO"
# `spec` writes runc's interactive default (a shell on a terminal); run a one-shot probe instead.
python3 - "$DEMO/config.json" <<'PY'
import json, sys
path = sys.argv[1]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c", "echo hello from swrun; echo hostname=$(hostname); id; ps"]
json.dump(c, open(path, "w"), indent=2)
PY
"$SWRUN" --root "$DEMO/state" run --bundle "$DEMO" demo-$$
