#define _GNU_SOURCE
#include "csyscalls.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <sched.h>
#include <string.h>
#include <signal.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

pid_t sw_fork(void) { return fork(); }
pid_t sw_gettid(void) { return (pid_t)syscall(SYS_gettid); }

pid_t sw_clone_into(uint64_t ns_flags, int cgroup_fd, int *placed) {
    /* clone3: the child starts life in the container's v2 cgroup (CLONE_INTO_CGROUP) and, when
       ns_flags are given, in its new namespaces (PID 1 of a new PID namespace). Without CLONE_VM
       it is a fork; swrun is single-threaded here (Fork.ensureSingleThreaded), so no lock
       glibc's fork handlers would reset is held. glibc's cached TID of the child is the
       parent's: the child must not use pthread_kill/raise before exec (swrun's init does not;
       only an abort would). */
    struct {
        uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
                 set_tid, set_tid_size, cgroup;
    } args;
    memset(&args, 0, sizeof args);
    args.exit_signal = SIGCHLD;
    *placed = 0;
    if (cgroup_fd >= 0) {
        args.flags = ns_flags | 0x200000000ULL; /* CLONE_INTO_CGROUP */
        args.cgroup = (uint64_t)cgroup_fd;
        long pid = syscall(SYS_clone3, &args, sizeof args);
        if (pid >= 0) {
            *placed = 1;
            return (pid_t)pid;
        }
    }
    /* Kernels before 5.7, or a cgroup that cannot take it: the caller joins the cgroup. */
    if (ns_flags == 0) return fork();
    args.flags = ns_flags;
    args.cgroup = 0;
    return (pid_t)syscall(SYS_clone3, &args, sizeof args);
}
int sw_unshare(int flags) { return unshare(flags); }
int sw_setns(int fd, int nstype) { return setns(fd, nstype); }

int sw_pivot_root(const char *new_root, const char *put_old) {
    return (int)syscall(SYS_pivot_root, new_root, put_old);
}

int sw_rename_exchange(const char *a, const char *b) {
    return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 2 /* RENAME_EXCHANGE */);
}

int sw_open_tree(int dirfd, const char *path, unsigned int flags) {
    return (int)syscall(SYS_open_tree, dirfd, path, flags);
}

int sw_move_mount(int from_dirfd, const char *from_path, int to_dirfd, const char *to_path, unsigned int flags) {
    return (int)syscall(SYS_move_mount, from_dirfd, from_path, to_dirfd, to_path, flags);
}

int sw_mount_setattr(int dirfd, const char *path, unsigned int flags, uint64_t attr_set, uint64_t attr_clr,
                     uint64_t userns_fd) {
    // struct mount_attr of linux/mount.h, spelled out: glibc 2.36 headers clash with it.
    struct { uint64_t attr_set, attr_clr, propagation, userns_fd; } attr = { attr_set, attr_clr, 0, userns_fd };
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
    return (int)syscall(SYS_mount_setattr, dirfd, path, flags, &attr, sizeof attr);
}

int sw_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = flags;
    how.mode = mode;
    how.resolve = resolve;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

int sw_fstatfs_type(int fd, int64_t *f_type) {
    struct statfs s;
    int rc = fstatfs(fd, &s);
    if (rc == 0) *f_type = (int64_t)s.f_type;
    return rc;
}

dev_t sw_makedev(unsigned int major, unsigned int minor) { return makedev(major, minor); }
unsigned int sw_major(dev_t dev) { return major(dev); }
unsigned int sw_minor(dev_t dev) { return minor(dev); }

/* capset and capget take each set as one 64-bit mask (bit n: capability n); the kernel's
   two 32-bit words are this file's business. */
int sw_capset(uint64_t effective, uint64_t permitted, uint64_t inheritable) {
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    for (int i = 0; i < 2; i++) {
        data[i].effective = (uint32_t)(effective >> (32 * i));
        data[i].permitted = (uint32_t)(permitted >> (32 * i));
        data[i].inheritable = (uint32_t)(inheritable >> (32 * i));
    }
    return (int)syscall(SYS_capset, &hdr, data);
}

int sw_capget(uint64_t *effective, uint64_t *permitted, uint64_t *inheritable) {
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    int rc = (int)syscall(SYS_capget, &hdr, data);
    if (rc == 0) {
        *effective = (uint64_t)data[1].effective << 32 | data[0].effective;
        *permitted = (uint64_t)data[1].permitted << 32 | data[0].permitted;
        *inheritable = (uint64_t)data[1].inheritable << 32 | data[0].inheritable;
    }
    return rc;
}

int sw_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5) {
    return prctl(option, a2, a3, a4, a5);
}

// Raw syscalls: glibc's wrappers broadcast to every thread with a signal, which is pointless
// in our single-threaded init and unsafe after fork.
int sw_setresuid(uid_t r, uid_t e, uid_t s) { return (int)syscall(SYS_setresuid, r, e, s); }
int sw_setresgid(gid_t r, gid_t e, gid_t s) { return (int)syscall(SYS_setresgid, r, e, s); }
int sw_setgroups(size_t n, const gid_t *groups) { return (int)syscall(SYS_setgroups, n, groups); }

struct sw_sched_attr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
};

int sw_sched_setattr(pid_t pid, uint32_t policy, uint64_t flags, int32_t nice, uint32_t priority,
                     uint64_t runtime, uint64_t deadline, uint64_t period) {
    struct sw_sched_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.sched_policy = policy;
    attr.sched_flags = flags;
    attr.sched_nice = nice;
    attr.sched_priority = priority;
    attr.sched_runtime = runtime;
    attr.sched_deadline = deadline;
    attr.sched_period = period;
    return (int)syscall(SYS_sched_setattr, pid, &attr, 0);
}

int sw_ioprio_set(int which, int who, int ioprio) {
    return (int)syscall(SYS_ioprio_set, which, who, ioprio);
}

int sw_personality(unsigned long persona) { return personality(persona); }

int sw_set_mempolicy(int mode, const unsigned long *nodemask, unsigned long maxnode) {
    return (int)syscall(SYS_set_mempolicy, mode, nodemask, maxnode);
}

int sw_sched_setaffinity(const unsigned long *mask, size_t bytes) {
    return (int)syscall(SYS_sched_setaffinity, 0, bytes, mask);
}

int sw_close_range(unsigned int first, unsigned int last, unsigned int flags) {
    return (int)syscall(SYS_close_range, first, last, flags);
}

int sw_fcntl_int(int fd, int cmd, int arg) { return fcntl(fd, cmd, arg); }

int sw_loopback_up(void) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
    if (rc == 0 && !(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP;
        rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int sw_memfd_create(const char *name, unsigned int flags) {
    return (int)syscall(SYS_memfd_create, name, flags);
}

int sw_memfd_create_exec(const char *name) {
    const unsigned int mfd_exec = 0x0010U;  // MFD_EXEC: bookworm's headers predate it
    int fd = sw_memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | mfd_exec);
    if (fd < 0 && errno == EINVAL) fd = sw_memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    return fd;
}

int sw_execveat_empty(int fd, char *const argv[], char *const envp[]) {
    return (int)syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
}

#if defined(__x86_64__) && defined(__linux__)
extern const unsigned char sw_exec_stub_code[], sw_exec_stub_code_end[];
const unsigned char *sw_exec_stub(size_t *len) {
    *len = (size_t)(sw_exec_stub_code_end - sw_exec_stub_code);
    return sw_exec_stub_code;
}
#else
const unsigned char *sw_exec_stub(size_t *len) {
    *len = 0;
    return NULL;
}
#endif
int sw_ioctl_ptr(int fd, unsigned long req, void *arg) { return ioctl(fd, req, arg); }
int sw_ioctl_int(int fd, unsigned long req, int arg) { return ioctl(fd, req, arg); }

int sw_send_fd(int sock, int fd, const void *data, size_t len) {
    char byte = 0;
    struct iovec iov = {.iov_base = (void *)(len ? data : &byte), .iov_len = len ? len : 1};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl.buf;
    msg.msg_controllen = sizeof ctl.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    ssize_t n;
    do {
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

ssize_t sw_recv_fd(int sock, int *fd_out, void *data, size_t len) {
    struct iovec iov = {.iov_base = data, .iov_len = len};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl.buf;
    msg.msg_controllen = sizeof ctl.buf;
    *fd_out = -1;
    ssize_t n;
    do {
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            memcpy(fd_out, CMSG_DATA(c), sizeof(int));
        }
    }
    return n;
}

int sw_pidfd_open(pid_t pid, unsigned int flags) {
    return (int)syscall(SYS_pidfd_open, pid, flags);
}

int sw_pidfd_send_signal(int pidfd, int sig) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

int sw_wifexited(int status) { return WIFEXITED(status); }
int sw_wexitstatus(int status) { return WEXITSTATUS(status); }
int sw_wifsignaled(int status) { return WIFSIGNALED(status); }
int sw_wtermsig(int status) { return WTERMSIG(status); }

void sw_set_errno(int value) { errno = value; }

int sw_thread_count(void) {
    DIR *d = opendir("/proc/self/task");
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.') n++;
    }
    closedir(d);
    return n;
}

int sw_setrlimit(int resource, uint64_t soft, uint64_t hard) {
    struct rlimit rl = {.rlim_cur = soft, .rlim_max = hard};
    return setrlimit(resource, &rl);
}

int sw_getrlimit(int resource, uint64_t *soft, uint64_t *hard) {
    struct rlimit rl;
    int rc = getrlimit(resource, &rl);
    if (rc == 0) {
        *soft = rl.rlim_cur;
        *hard = rl.rlim_max;
    }
    return rc;
}

int sw_block_signals_fd(const int *signals, int count) {
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < count; i++) sigaddset(&set, signals[i]);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) return -1;
    return signalfd(-1, &set, SFD_CLOEXEC);
}

int sw_unblock_all_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    return sigprocmask(SIG_SETMASK, &set, NULL);
}

int sw_read_signalfd(int fd) {
    struct signalfd_siginfo info;
    ssize_t n;
    do {
        n = read(fd, &info, sizeof info);
    } while (n < 0 && errno == EINTR);
    if (n != sizeof info) return -1;
    return (int)info.ssi_signo;
}

int sw_set_selinux_label(const char *path, const char *label) {
    return setxattr(path, "security.selinux", label, strlen(label), 0);
}

long sw_join_session_keyring(const char *name) {
    return syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, name, 0, 0, 0);
}
