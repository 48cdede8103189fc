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
#include <string.h>

#if defined(__GLIBC__)
static int saved_argc;
static char **saved_argv;
static char **saved_envp;

__attribute__((constructor(101)))
static void sw_save_argv(int argc, char **argv, char **envp) {
    saved_argc = argc;
    saved_argv = argv;
    saved_envp = envp;
}

// The caller's environment strings, as the kernel laid them out (the range
// /proc/PID/environ shows), zeroed in this process: a process swrun forks into a container
// must not show the engine's variables (secrets among them) to the container before it
// execs. swrun reads no variable after it forks.
void sw_scrub_environment(void) {
    if (saved_envp == NULL || saved_envp[0] == NULL) return;
    char *start = saved_envp[0], *end = start;
    for (char **e = saved_envp; *e != NULL; e++) {
        char *after = *e + strlen(*e) + 1;
        if (*e >= start && after > end) end = after;
    }
    memset(start, 0, (size_t)(end - start));
}

__attribute__((swiftcall, used, visibility("hidden")))
char **_swift_stdlib_getUnsafeArgvArgc(int *outArgLen) {
    *outArgLen = saved_argc;
    return saved_argv;
}

char **sw_saved_argv(int *argc) {
    *argc = saved_argc;
    return saved_argv;
}
#else
void sw_scrub_environment(void) {}
char **sw_saved_argv(int *argc) {
    *argc = 0;
    return NULL;
}
#endif
