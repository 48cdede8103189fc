// steptrace LO HI OUT -- PROGRAM [ARG...]
//
// Runs PROGRAM single-stepped under ptrace, with every process it forks or clones, and writes
// to OUT (one hex address a line) each instruction address in [LO, HI) that any of them ran.
// A process that execs anything but swrun (the container's program) is let go. Used by
// make-order.py to find the code a container start runs, so the linker can lay that code out
// together (see bench/README.md, "Memory").
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

enum { UNKNOWN, ANNOUNCED, TRACED };  // ANNOUNCED: its parent's fork event came, its SIGSTOP not yet
#define MAX_PID (1 << 22)
static unsigned char state[MAX_PID];

static void step(pid_t p, int sig) { ptrace(PTRACE_SINGLESTEP, p, 0, (void *)(long)sig); }

static int runs_swrun(pid_t p) {
    char link[64], exe[4096] = {0};
    snprintf(link, sizeof link, "/proc/%d/exe", p);
    if (readlink(link, exe, sizeof exe - 1) < 0) return 0;
    return strstr(exe, "swrun") != NULL || strstr(exe, "memfd:") != NULL;
}

int main(int argc, char **argv) {
    if (argc < 6 || strcmp(argv[4], "--") != 0) {
        fprintf(stderr, "usage: steptrace LO HI OUT -- PROGRAM [ARG...]\n");
        return 2;
    }
    unsigned long lo = strtoul(argv[1], NULL, 16), hi = strtoul(argv[2], NULL, 16);
    if (hi <= lo) { fprintf(stderr, "steptrace: empty range\n"); return 2; }
    unsigned char *seen = calloc(hi - lo, 1);
    if (!seen) { perror("calloc"); return 1; }

    pid_t root = fork();
    if (root < 0) { perror("fork"); return 1; }
    if (root == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        execv(argv[5], argv + 5);
        _exit(127);
    }
    int st;
    if (waitpid(root, &st, 0) != root) { perror("waitpid"); return 1; }
    ptrace(PTRACE_SETOPTIONS, root, 0, PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE
                                       | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL);
    state[root] = TRACED;
    step(root, 0);

    int live = 1, status = 1;
    long steps = 0;
    while (live > 0) {
        pid_t p = waitpid(-1, &st, __WALL);
        if (p < 0) { if (errno == EINTR) continue; break; }
        if (p >= MAX_PID) { fprintf(stderr, "steptrace: pid %d too large\n", p); return 1; }
        if (WIFEXITED(st) || WIFSIGNALED(st)) {
            if (state[p] != UNKNOWN) { state[p] = UNKNOWN; live--; }
            if (p == root) status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            continue;
        }
        if (!WIFSTOPPED(st)) continue;
        int sig = WSTOPSIG(st), event = st >> 16;
        if (state[p] == UNKNOWN) {  // a new child whose stop came before its parent's event
            state[p] = TRACED;
            live++;
            if (sig == SIGSTOP) { step(p, 0); continue; }
        }
        switch (event) {
        case PTRACE_EVENT_FORK: case PTRACE_EVENT_VFORK: case PTRACE_EVENT_CLONE: {
            unsigned long child = 0;
            ptrace(PTRACE_GETEVENTMSG, p, 0, &child);
            if (child < MAX_PID && state[child] == UNKNOWN) { state[child] = ANNOUNCED; live++; }
            step(p, 0);
            continue;
        }
        case PTRACE_EVENT_EXEC:
            if (!runs_swrun(p)) { ptrace(PTRACE_DETACH, p, 0, 0); state[p] = UNKNOWN; live--; continue; }
            step(p, 0);
            continue;
        }
        if (sig == SIGTRAP) {
            errno = 0;
            long ip = ptrace(PTRACE_PEEKUSER, p, offsetof(struct user_regs_struct, rip), 0);
            if (errno == 0 && (unsigned long)ip >= lo && (unsigned long)ip < hi) seen[ip - lo] = 1;
            steps++;
            step(p, 0);
        } else if (sig == SIGSTOP && state[p] == ANNOUNCED) {
            state[p] = TRACED;
            step(p, 0);
        } else {
            step(p, sig);  // a real signal: deliver it
        }
    }
    FILE *out = fopen(argv[3], "w");
    if (!out) { perror(argv[3]); return 1; }
    for (unsigned long a = lo; a < hi; a++)
        if (seen[a - lo]) fprintf(out, "%lx\n", a);
    fclose(out);
    fprintf(stderr, "steptrace: %ld steps, exit status %d\n", steps, status);
    return status;
}
