// The exec stub: the last program image the container's first process (and every `exec`'d
// process) runs before the container's own program. swrun never execs it from a file: it is
// copied into a sealed memfd (Process/SealedExec.swift builds the ELF around these bytes), so
// that while the process is reachable from the container its /proc/PID/exe is that memfd, not
// the host's swrun binary (CVE-2019-5736). It is position-independent and self-contained: no
// libc, no relocations, only RIP-relative references inside the copied bytes. The bytes live
// in .rodata: swrun itself never runs them.
//
// Its parameters follow the code (all offsets from the start of the parameters):
//   +0  u32 offset of "/proc/self/fd/N" of the exec FIFO, 0: no FIFO to wait on
//   +4  i32 fd of the FIFO (O_PATH), closed once written; -1: none
//   +8  u32 offset of the program's path
//   +12 i32 fd made close-on-exec before the last execve (exec's sync socket); -1: none
//   +16 i32 fd that gets the failure message when execve fails
//   +20 u32 offset of the failure table: entries {u32 errno, u32 length, bytes}, the last one
//           with errno 0 (any other errno)
//   +24 u8  '0', the byte `start` waits for
//   +28 u32 flags: 1 = fork first (exec: the caller is outside the container's PID namespace,
//           the program is a child born running this stub, in a new session), 2 = the child
//           makes fd 0 its controlling terminal
//   +32 u32 offset, +36 u32 length: the text before the child's PID in the parent's report
//   +40 u32 offset, +44 u32 length: the text after it
// Each step it cannot do is fatal: a stub re-run (the container exec'ing /proc/self/exe finds
// this stub again) finds its FIFO and sync fds closed and exits instead of looping.
#if defined(__x86_64__) && defined(__linux__)
    .intel_syntax noprefix
    .section .rodata.sw_exec_stub, "a"
    .globl sw_exec_stub_code
    .globl sw_exec_stub_code_end
sw_exec_stub_code:
    lea     rbx, [rip + sw_exec_stub_code_end]  // params
    mov     rcx, [rsp]                          // argc
    lea     r12, [rsp + 8]                      // argv
    lea     r13, [r12 + rcx*8 + 8]              // envp
    // 1. Wait for `start`: open the FIFO for writing (blocks until it reads), write the byte.
    mov     esi, [rbx]
    test    esi, esi
    jz      2f
    mov     edi, -100                           // AT_FDCWD
    add     rsi, rbx
    mov     edx, 0x80001                        // O_WRONLY | O_CLOEXEC
    xor     r10d, r10d
    mov     eax, 257                            // openat
    syscall
    test    eax, eax
    js      90f
    mov     r14d, eax
    mov     edi, eax
    lea     rsi, [rbx + 24]
    mov     edx, 1
    mov     eax, 1                              // write
    syscall
    cmp     rax, 1
    jne     90f
    mov     edi, r14d
    mov     eax, 3                              // close
    syscall
    mov     edi, [rbx + 4]                      // the FIFO's O_PATH fd: not into the container
    mov     eax, 3
    syscall
    test    eax, eax
    jnz     90f
2:  // 2. Fork mode: the program starts as a child that runs this stub from its first instant.
    test    dword ptr [rbx + 28], 1
    jz      3f
    mov     eax, 56                             // clone(SIGCHLD, 0, 0, 0, 0): a fork
    mov     edi, 17
    xor     esi, esi
    xor     edx, edx
    xor     r10d, r10d
    xor     r8d, r8d
    syscall
    test    rax, rax
    js      90f
    jnz     20f
    // The child leads a new session, terminal or not, as runc's exec does: the process group
    // it inherits is outside the container's PID namespace (getpgrp() 0 inside). The seccomp
    // filter is already loaded here: where a profile refuses setsid only the terminal case,
    // which cannot work without it, fails; without a terminal the program runs as before.
    mov     eax, 112                            // setsid
    syscall
    test    dword ptr [rbx + 28], 2
    jz      3f
    test    rax, rax
    js      90f
    xor     edi, edi                            // ioctl(0, TIOCSCTTY, 0)
    mov     esi, 0x540e
    xor     edx, edx
    mov     eax, 16
    syscall
    test    rax, rax
    jnz     90f
    jmp     3f
20: // The parent reports the child's PID (prefix, decimal digits, suffix) and exits.
    mov     r8, rax
    sub     rsp, 32
    lea     rdi, [rsp + 32]
    mov     ecx, 10
21: xor     edx, edx
    mov     rax, r8
    div     rcx
    mov     r8, rax
    add     dl, 0x30
    dec     rdi
    mov     [rdi], dl
    test    r8, r8
    jnz     21b
    lea     r9, [rsp + 32]
    sub     r9, rdi                             // number of digits
    sub     rsp, 48                             // three iovecs
    mov     eax, [rbx + 32]
    add     rax, rbx
    mov     [rsp], rax
    mov     eax, [rbx + 36]
    mov     [rsp + 8], rax
    mov     [rsp + 16], rdi
    mov     [rsp + 24], r9
    mov     eax, [rbx + 40]
    add     rax, rbx
    mov     [rsp + 32], rax
    mov     eax, [rbx + 44]
    mov     [rsp + 40], rax
    mov     edi, [rbx + 16]
    mov     rsi, rsp
    mov     edx, 3
    mov     eax, 20                             // writev: one datagram on the sync socket
    syscall
    mov     edi, 1
    test    rax, rax
    js      60f
    xor     edi, edi
    jmp     60f
3:  // 3. The sync socket closes when the program runs: its EOF tells `exec` it started.
    mov     edi, [rbx + 12]
    test    edi, edi
    js      4f
    mov     esi, 2                              // F_SETFD
    mov     edx, 1                              // FD_CLOEXEC
    mov     eax, 72                             // fcntl
    syscall
    test    eax, eax
    jnz     90f
4:  // 4. The container's program.
    mov     edi, [rbx + 8]
    add     rdi, rbx
    mov     rsi, r12
    mov     rdx, r13
    mov     eax, 59                             // execve
    syscall
    neg     eax
    mov     r15d, eax                           // errno
    mov     esi, [rbx + 20]
    add     rsi, rbx
5:  mov     ecx, [rsi]
    mov     edx, [rsi + 4]
    test    ecx, ecx
    jz      50f
    cmp     ecx, r15d
    je      50f
    lea     rsi, [rsi + rdx + 8]
    jmp     5b
50: add     rsi, 8
    mov     edi, [rbx + 16]
    mov     eax, 1                              // write
    syscall
    mov     edi, 126                            // found but not runnable, as a shell says
    cmp     r15d, 2                             // ENOENT
    jne     60f
    mov     edi, 127
60: mov     eax, 231                            // exit_group
    syscall
90: mov     edi, 127
    mov     eax, 231
    syscall
    .p2align 3
sw_exec_stub_code_end:
    .section .note.GNU-stack, "", @progbits
#endif
