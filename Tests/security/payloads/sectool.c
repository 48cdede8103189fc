/*
 * sectool: the hostile tools the security tests run (static, compiled at test time).
 *
 *   sectool swap A B          exchange A and B (renameat2 RENAME_EXCHANGE) as fast as
 *                             possible until SIGTERM; then print the number of exchanges
 *   sectool flip NULL TARGET  until SIGTERM, replace NULL (rename over it) in turn with a
 *                             symlink to TARGET and with a fresh char device 1:3; survives
 *                             a runtime that unlinks and re-creates NULL itself
 *   sectool exe-write PID MS  open /proc/PID/exe O_PATH (print "opath-ok DEV INO" or
 *                             "opath-errno E"), then for up to MS ms try to reopen it for
 *                             writing through /proc/self/fd/N while it fails with ETXTBSY,
 *                             and write a marker at offset 0 ("write-ok N" or "open-wr-errno E")
 *   sectool exe-watch MS      for MS ms, poll /proc for processes other than itself and
 *                             PID 1 and open each one's /proc/PID/exe O_PATH as soon as it
 *                             appears; print "exe PID DEV INO ro|rw" for every one opened
 *                             (its mount's read-only flag), then
 *                             "watched N" (the number of processes seen)
 *   sectool stat PATH         open PATH O_PATH and print "DEV INO ro|rw" (its mount's
 *                             read-only flag; or "errno E")
 *   sectool mem PID           read 16 bytes of PID's first readable mapping through
 *                             /proc/PID/mem ("mem-read N" or "mem-errno E")
 *   sectool seize PID         PTRACE_SEIZE PID ("seize-ok" or "seize-errno E"; the exit
 *                             detaches)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

static int swap(const char *a, const char *b) {
    signal(SIGTERM, on_term);
    unsigned long n = 0, failed = 0;
    while (!stop) {
        if (syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) == 0) n++;
        else failed++;
    }
    printf("swaps %lu failed %lu\n", n, failed);
    return 0;
}

static int flip(const char *null, const char *target) {
    signal(SIGTERM, on_term);
    char lnk[4096], dev[4096];
    snprintf(lnk, sizeof lnk, "%s.l", null);
    snprintf(dev, sizeof dev, "%s.c", null);
    unsigned long n = 0, failed = 0;
    while (!stop) {
        unlink(lnk);
        if (symlink(target, lnk) == 0 && rename(lnk, null) == 0) n++;
        else failed++;
        unlink(dev);
        if (mknod(dev, S_IFCHR | 0666, makedev(1, 3)) == 0 && rename(dev, null) == 0) n++;
        else failed++;
    }
    unlink(lnk);
    unlink(dev);
    printf("swaps %lu failed %lu\n", n, failed);
    return 0;
}

static int exe_write(const char *pid, long ms) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%s/exe", pid);
    int fd = open(path, O_PATH);
    if (fd < 0) { printf("opath-errno %d\n", errno); return 0; }
    struct stat st;
    fstat(fd, &st);
    printf("opath-ok %llu %llu\n", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct timespec ts = {0, 10 * 1000 * 1000};
    int w = -1, err = 0;
    for (long waited = 0; waited <= ms; waited += 10) {
        w = open(path, O_WRONLY);
        err = errno;
        if (w >= 0 || err != ETXTBSY) break;
        nanosleep(&ts, NULL);
    }
    if (w < 0) { printf("open-wr-errno %d\n", err); return 0; }
    static const char mark[] = "SECTEST-PTRACE-EXE-OVERWRITTEN";
    ssize_t r = pwrite(w, mark, sizeof mark - 1, 0);
    printf(r > 0 ? "write-ok %zd\n" : "write-errno %zd\n", r > 0 ? r : (ssize_t)errno);
    return 0;
}

static int exe_watch(long ms) {
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    static char seen[1 << 22];
    long watched = 0;
    pid_t self = getpid();
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 >= ms) break;
        DIR *d = opendir("/proc");
        if (!d) { printf("proc-errno %d\n", errno); return 0; }
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            char *end;
            long pid = strtol(e->d_name, &end, 10);
            if (*end || pid <= 1 || pid == self || pid >= (long)sizeof seen || seen[pid]) continue;
            char path[64];
            snprintf(path, sizeof path, "/proc/%ld/exe", pid);
            int fd = open(path, O_PATH);
            if (fd < 0) continue;
            seen[pid] = 1;
            watched++;
            struct stat st;
            struct statfs sf;
            if (fstat(fd, &st) == 0 && fstatfs(fd, &sf) == 0)
                printf("exe %ld %llu %llu %s\n", pid, (unsigned long long)st.st_dev,
                       (unsigned long long)st.st_ino, (sf.f_flags & ST_RDONLY) ? "ro" : "rw");
            close(fd);
        }
        closedir(d);
    }
    printf("watched %ld\n", watched);
    return 0;
}

static int stat_path(const char *p) {
    int fd = open(p, O_PATH);
    struct stat st;
    struct statfs sf;
    if (fd < 0 || fstat(fd, &st) != 0 || fstatfs(fd, &sf) != 0) { printf("errno %d\n", errno); return 0; }
    printf("%llu %llu %s\n", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
           (sf.f_flags & ST_RDONLY) ? "ro" : "rw");
    return 0;
}

static int mem(const char *pid) {
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%s/maps", pid);
    FILE *f = fopen(path, "r");
    if (!f) { printf("maps-errno %d\n", errno); return 0; }
    unsigned long start = 0, end;
    char perms[8];
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) == 3 && perms[0] == 'r') break;
    fclose(f);
    snprintf(path, sizeof path, "/proc/%s/mem", pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0) { printf("mem-errno %d\n", errno); return 0; }
    char buf[16];
    ssize_t n = pread(fd, buf, sizeof buf, (off_t)start);
    if (n < 0) printf("mem-errno %d\n", errno);
    else printf("mem-read %zd\n", n);
    return 0;
}

static int seize(const char *pid) {
    if (ptrace(PTRACE_SEIZE, atoi(pid), 0, 0) != 0) printf("seize-errno %d\n", errno);
    else printf("seize-ok\n");
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc == 4 && !strcmp(argv[1], "swap")) return swap(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "flip")) return flip(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "exe-write")) return exe_write(argv[2], atol(argv[3]));
    if (argc == 3 && !strcmp(argv[1], "exe-watch")) return exe_watch(atol(argv[2]));
    if (argc == 3 && !strcmp(argv[1], "stat")) return stat_path(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "mem")) return mem(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "seize")) return seize(argv[2]);
    fprintf(stderr, "usage: sectool swap A B | flip NULL TARGET | exe-write PID MS | exe-watch MS | stat PATH | mem PID | seize PID\n");
    return 2;
}
