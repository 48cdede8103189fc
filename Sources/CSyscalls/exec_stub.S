// The exec stub: the last program image the container's first process (and every `exec`'d
// process) runs before the container's own program. swrun never execs it from a file: it is
// copied into a sealed memfd (Process/SealedExec.swift builds the ELF around these bytes), so
// that while the process is reachable from the container its /proc/PID/exe is that memfd, not
// the host's swrun binary (CVE-2019-5736). It is position-independent and self-contained: no
// libc, no relocations, only RIP-relative references inside the copied bytes. The bytes live
// in .rodata: swrun itself never runs them.
//
// Its parameters follow the code (the `params` layout below, all offsets from params):
//   +0  u32 offset of "/proc/self/fd/N" of the exec FIFO, 0: no FIFO to wait on
//   +4  i32 fd of the FIFO (O_PATH), closed once written; -1: none
//   +8  u32 offset of the program's path
//   +12 i32 fd made close-on-exec before the last execve (exec's sync socket); -1: none
//   +16 i32 fd that gets the failure message when execve fails
//   +20 u32 offset of the failure table: entries {u32 errno, u32 length, bytes}, the last one
//           with errno 0 (any other errno)
//   +24 u8  '0', the byte `start` waits for
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
    js      9f
    mov     r14d, eax
    mov     edi, eax
    lea     rsi, [rbx + 24]
    mov     edx, 1
    mov     eax, 1                              // write
    syscall
    cmp     rax, 1
    jne     9f
    mov     edi, r14d
    mov     eax, 3                              // close
    syscall
    mov     edi, [rbx + 4]                      // the FIFO's O_PATH fd: not into the container
    mov     eax, 3
    syscall
    test    eax, eax
    jnz     9f
2:  // 2. The sync socket closes when the program runs: its EOF tells `exec` it started.
    mov     edi, [rbx + 12]
    test    edi, edi
    js      3f
    mov     esi, 2                              // F_SETFD
    mov     edx, 1                              // FD_CLOEXEC
    mov     eax, 72                             // fcntl
    syscall
    test    eax, eax
    jnz     9f
3:  // 3. The container's program.
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
4:  mov     ecx, [rsi]
    mov     edx, [rsi + 4]
    test    ecx, ecx
    jz      5f
    cmp     ecx, r15d
    je      5f
    lea     rsi, [rsi + rdx + 8]
    jmp     4b
5:  add     rsi, 8
    mov     edi, [rbx + 16]
    mov     eax, 1                              // write
    syscall
    mov     edi, 126                            // found but not runnable, as a shell says
    cmp     r15d, 2                             // ENOENT
    jne     6f
    mov     edi, 127
6:  mov     eax, 231                            // exit_group
    syscall
9:  mov     edi, 127
    mov     eax, 231
    syscall
    .p2align 3
sw_exec_stub_code_end:
    .section .note.GNU-stack, "", @progbits
#endif
