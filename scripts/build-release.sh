#!/bin/bash
# The release build of `make build` (and bench/run): swift build with the start-up flags of
# bench/README.md, then the debug info split off so the binary stays small.
#
#   .build/release/swrun        stripped (no symbols, no DWARF), with a .gnu_debuglink
#   .build/release/swrun.debug  its symbols and DWARF (objcopy --only-keep-debug)
#   .build/release/swrun.map    the link map (where each input section went), which
#                               linker/make-order.py reads
#
# gdb and the Swift backtracer find swrun.debug beside the binary through the debuglink
# (its name and CRC), so backtraces keep function names and lines (bench/README.md,
# "Binary size").
#
# The strip writes a temporary file that is renamed over the binary: a test or engine
# running the old binary keeps its inode, and nobody sees a half-written swrun.
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}

# SwiftPM does not recompile unchanged files when only these flags change, and objects without
# function sections cannot be ordered: a release tree built with other flags is rebuilt whole.
flags="-function-sections -ffunction-sections -disable-type-layout $*"
stamp=.build/release-flags
if [ -d .build/release ] && [ "$(cat "$stamp" 2>/dev/null)" != "$flags" ]; then
    rm -rf "$(readlink -f .build/release)"
fi
mkdir -p .build
echo "$flags" > "$stamp"
# Each function in its own section (Swift and C), and the linker lays out first, together, the
# code a container's start runs (linker/swrun.order, symbols written by linker/make-order.py
# from a single-stepped trace): a start then faults in megabytes less of swrun's text
# (bench/README.md, "Memory"). The Swift stdlib's own Swift code is one section in
# libswiftCore.a and stays where it is. The link is static and uses lld (Package.swift); the
# map keeps symbols mangled, as the ordering file names them. linker/private-text.ld puts the
# code sections without a symbol, which no ordering file can name, next to the ordered code.
# -disable-type-layout: the compiler destroys and copies an Optional of a large struct or enum
# (Process?, LinuxResources?, SyncMessage?, ...) field by field, not through type metadata that
# the Swift runtime makes at the first use in each process: ten fewer of those per `run`, none
# left in the init, and a binary 33 KB smaller (bench/README.md, "Where the time goes").
"$SWIFT" build -c release --static-swift-stdlib --disable-local-rpath \
    -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections \
    -Xswiftc -Xfrontend -Xswiftc -disable-type-layout \
    -Xlinker --symbol-ordering-file="$PWD/linker/swrun.order" -Xlinker --no-warn-symbol-ordering \
    -Xlinker "$PWD/linker/private-text.ld" \
    -Xlinker --no-demangle -Xlinker -Map="$PWD/.build/swrun.map" "$@"

bin=.build/release/swrun
debug=$bin.debug
# Written where it can be (the .build/release link appears only once the build is done), kept
# beside the binary it describes.
if [ -f .build/swrun.map ]; then mv -f .build/swrun.map "$bin.map"; fi
# When swift build had nothing to do, the binary is the stripped one of last time.
# (No `readelf | grep -q` under pipefail: grep's early exit would fail readelf with SIGPIPE.)
if [[ $(readelf -S "$bin") != *.debug_info* ]]; then
    [ -f "$debug" ] || echo "build-release: $bin is stripped but $debug is missing" >&2
    exit 0
fi
# What the size cuts took out must stay out (bench/README.md, "Binary size"): a stray
# firstRange(of:) or `import Foundation` brings back megabytes.
linked=$(nm "$bin" | grep -oE '(17_StringProcessing|12_RegexParser|20FoundationEssentials|12_Concurrency|swift_task_create)' | sort -u || true)
if [ -n "$linked" ]; then
    echo "build-release: the release binary links $(echo $linked) again: find the call that brings it" \
         "(nm .build/release/swrun | grep ...) or rethink the cut in bench/README.md" >&2
    exit 1
fi
objcopy --only-keep-debug "$bin" "$debug.tmp"
chmod 0644 "$debug.tmp"
mv -f "$debug.tmp" "$debug"
objcopy --strip-all "$bin" "$bin.tmp"
# The link records the debug file's base name and CRC.
objcopy --add-gnu-debuglink="$debug" "$bin.tmp"
mv -f "$bin.tmp" "$bin"
echo "build-release: $bin $(stat -c %s "$bin") bytes (stripped); symbols and DWARF in $debug"
