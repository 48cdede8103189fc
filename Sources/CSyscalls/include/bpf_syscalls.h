// bpf(2) for the device cgroup filter: glibc has no wrapper, and union bpf_attr is easier to
// fill from <linux/bpf.h> than to lay out by hand in Swift. Each returns what bpf(2) returns
// and leaves errno as the call left it. seccomp(2), for the seccomp filter swrun patches
// itself, has no glibc wrapper either.
#ifndef SWRUN_BPF_SYSCALLS_H
#define SWRUN_BPF_SYSCALLS_H

#include <stdint.h>

// Loads a BPF_PROG_TYPE_CGROUP_DEVICE program of `count` 8-byte instructions; returns its fd.
// With log_size > 0 the verifier's log (level 1) is written to log.
int sw_bpf_load_device_prog(const void *insns, uint32_t count, char *log, uint32_t log_size);
// BPF_PROG_ATTACH / BPF_PROG_DETACH of a program to a cgroup directory fd (BPF_CGROUP_DEVICE).
int sw_bpf_attach_device_prog(int cgroup_fd, int prog_fd, uint32_t flags);
int sw_bpf_detach_device_prog(int cgroup_fd, int prog_fd);
// BPF_PROG_QUERY: the ids of the device programs attached to the cgroup itself, and the
// flags they were attached with. *count is the capacity in, the number attached out.
int sw_bpf_query_device_progs(int cgroup_fd, uint32_t *attach_flags, uint32_t *ids, uint32_t *count);
// BPF_PROG_GET_FD_BY_ID: an fd for a program found by query (detach needs the fd).
int sw_bpf_prog_fd_by_id(uint32_t id);

// seccomp(SECCOMP_SET_MODE_FILTER, flags) with a classic BPF program of `count` 8-byte
// struct sock_filter instructions in host byte order. Returns 0, or the notify fd when flags
// has SECCOMP_FILTER_FLAG_NEW_LISTENER.
int sw_seccomp_set_filter(unsigned int flags, const void *insns, uint16_t count);

#endif
