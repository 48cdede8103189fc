// Start-up: argv for the Swift standard library without reading /proc/self/maps.
//
// On Linux libswiftCore finds argv with a static constructor (ArgvGrabber in its
// CommandLine.cpp) that reads and sscanf's /proc/self/maps to locate the stack, on every
// start of every command. glibc passes argc and argv to each ELF constructor, so keeping
// them here is free; and an object file of ours defining the one entry point the stdlib
// calls (_swift_stdlib_getUnsafeArgvArgc) keeps that archive member, constructor and all,
// out of the static link. If a future Swift stops using this name, the runtime's own
// CommandLine.cpp is linked again and all that is lost is the saving. Hidden, so a build
// against the shared libswiftCore (swift test) keeps the runtime's own. Tested on the release
// binary in Tests/conformance/test_cli.py (arguments intact, no /proc/self/maps read).
#include <stdlib.h>  // defines __GLIBC__

#if defined(__GLIBC__)
static int saved_argc;
static char **saved_argv;

__attribute__((constructor(101)))
static void sw_save_argv(int argc, char **argv, char **envp) {
    (void)envp;
    saved_argc = argc;
    saved_argv = argv;
}

__attribute__((swiftcall, used, visibility("hidden")))
char **_swift_stdlib_getUnsafeArgvArgc(int *outArgLen) {
    *outArgLen = saved_argc;
    return saved_argv;
}
#endif
