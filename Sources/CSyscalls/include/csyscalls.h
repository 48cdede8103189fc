// The thin C edge of swrun: calls Swift cannot make directly (variadic functions, macros,
// raw syscalls without glibc wrappers, control messages). Each function is a direct wrapper:
// it returns what the call returns and leaves errno as the call left it.
#ifndef SWRUN_CSYSCALLS_H
#define SWRUN_CSYSCALLS_H

#include <stdint.h>
#include <sys/types.h>

// Process creation. fork() is not importable into Swift; single-threaded callers only.
pid_t sw_fork(void);
pid_t sw_gettid(void);
/* fork with clone3: started in the v2 cgroup of cgroup_fd when the kernel can (*placed = 1),
   and in the new namespaces of ns_flags. Without ns_flags it falls back to fork(). */
pid_t sw_clone_into(uint64_t ns_flags, int cgroup_fd, int *placed);
int sw_unshare(int flags);
int sw_setns(int fd, int nstype);

// Mounts and the root.
int sw_pivot_root(const char *new_root, const char *put_old);
// openat2 with RESOLVE_* flags: resolves a path as if dirfd were the root.
// renameat2(RENAME_EXCHANGE): swaps two existing paths atomically.
int sw_rename_exchange(const char *a, const char *b);
int sw_openat2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve);
// open_tree(2) and move_mount(2) (Linux 5.2): a bind source cloned as a detached mount by a
// process that can reach it, attached later where the container's init cannot reach it.
int sw_open_tree(int dirfd, const char *path, unsigned int flags);
int sw_move_mount(int from_dirfd, const char *from_path, int to_dirfd, const char *to_path, unsigned int flags);
// mount_setattr(2) (Linux 5.12): mount attributes set and cleared, recursively with AT_RECURSIVE.
int sw_mount_setattr(int dirfd, const char *path, unsigned int flags, uint64_t attr_set, uint64_t attr_clr,
                     uint64_t userns_fd);
// The filesystem type (f_type, a *_MAGIC number) of what fd is on: the identity check of
// procfs files (Glibc's Swift module leaves out sys/vfs.h).
int sw_fstatfs_type(int fd, int64_t *f_type);
dev_t sw_makedev(unsigned int major, unsigned int minor);
unsigned int sw_major(dev_t dev);
unsigned int sw_minor(dev_t dev);

// Credentials and capabilities (the v3 capset ABI: two 32-bit words per set).
int sw_capset(uint64_t effective, uint64_t permitted, uint64_t inheritable);
int sw_capget(uint64_t *effective, uint64_t *permitted, uint64_t *inheritable);
int sw_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);
int sw_setresuid(uid_t r, uid_t e, uid_t s);
int sw_setresgid(gid_t r, gid_t e, gid_t s);
int sw_setgroups(size_t n, const gid_t *groups);

// Scheduling and I/O priority (no glibc wrappers for sched_setattr and ioprio_set).
int sw_sched_setattr(pid_t pid, uint32_t policy, uint64_t flags, int32_t nice, uint32_t priority,
                     uint64_t runtime, uint64_t deadline, uint64_t period);
int sw_ioprio_set(int which, int who, int ioprio);
int sw_personality(unsigned long persona);
int sw_set_mempolicy(int mode, const unsigned long *nodemask, unsigned long maxnode);
/* The calling thread's CPU affinity: `bytes` of `mask`, one bit per CPU. */
int sw_sched_setaffinity(const unsigned long *mask, size_t bytes);

// File descriptors.
int sw_close_range(unsigned int first, unsigned int last, unsigned int flags);
int sw_fcntl_int(int fd, int cmd, int arg);
// Brings `lo` up in the caller's network namespace (SIOCSIFFLAGS).
int sw_loopback_up(void);
int sw_memfd_create(const char *name, unsigned int flags);
// memfd_create; MFD_EXEC (Linux 6.3) is retried without on kernels that refuse it.
int sw_memfd_create_exec(const char *name);
int sw_execveat_empty(int fd, char *const argv[], char *const envp[]);
// The exec stub's machine code (exec_stub.S), copied into a sealed memfd before each exec
// into a container; NULL with *len 0 where this architecture has no stub.
const unsigned char *sw_exec_stub(size_t *len);
int sw_ioctl_ptr(int fd, unsigned long req, void *arg);
int sw_ioctl_int(int fd, unsigned long req, int arg);
// Sends one fd (and a short payload) over a unix socket with SCM_RIGHTS.
int sw_send_fd(int sock, int fd, const void *data, size_t len);
// Receives one fd; *fd_out is -1 when the message carried none. Returns bytes of payload.
ssize_t sw_recv_fd(int sock, int *fd_out, void *data, size_t len);

// pidfds: signal the process we recorded, not a recycled PID.
int sw_pidfd_open(pid_t pid, unsigned int flags);
int sw_pidfd_send_signal(int pidfd, int sig);

// wait status macros.
int sw_wifexited(int status);
int sw_wexitstatus(int status);
int sw_wifsignaled(int status);
int sw_wtermsig(int status);

// Resource limits by number (glibc's enum type differs between libcs).
int sw_setrlimit(int resource, uint64_t soft, uint64_t hard);
int sw_getrlimit(int resource, uint64_t *soft, uint64_t *hard);

// Signal mask and signalfd for `run`'s signal forwarding.
int sw_block_signals_fd(const int *signals, int count);
int sw_unblock_all_signals(void);
int sw_read_signalfd(int fd);

// A fresh session keyring for the container (runc's default; --no-new-keyring skips it).
long sw_join_session_keyring(const char *name);
/* setxattr(path, "security.selinux", label): a file's SELinux label (glibc's xattr header is
   not in Swift's Glibc module). */
int sw_set_selinux_label(const char *path, const char *label);

// errno as an lvalue for callers that must reset it.
void sw_set_errno(int value);

// Number of threads of the calling process (from /proc/self/task): the fork-safety guard.
int sw_thread_count(void);
// Zeroes the environment strings this process started with (startup.c).
void sw_scrub_environment(void);
// argv as glibc passed it to the ELF constructors (startup.c); NULL and 0 without glibc.
char **sw_saved_argv(int *argc);

#endif
