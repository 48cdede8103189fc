#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// The last step into a container's program, through a stub that runs from a sealed memfd.
///
/// CVE-2019-5736: a process swrun forks into a container runs the host's swrun binary until it
/// execs, so its /proc/PID/exe leads to that file. A container program that is itself
/// `/proc/self/exe` (or a script whose interpreter is, or any process in the container holding
/// CAP_SYS_PTRACE that opens /proc/1/exe while the init waits for `start`) would reach the host
/// binary, and with the container's own dynamic loader run code that rewrites it once swrun
/// exits. runc and crun run from a copy of the whole binary (29 MB here: several ms per start);
/// swrun instead execs a few hundred bytes of machine code (exec_stub.S) from a memfd sealed
/// against writes, before the container can reach the process: the init execs it before it
/// waits for `start`, so the waiting init is the stub (no host binary, no caller environment,
/// only the container's identity); `exec` execs it before the program. Exec'ing /proc/self/exe
/// from inside then runs the stub again, which finds its one-shot FIFO or sync fd gone and exits.
struct SealedExec {
    /// The sealed memfd holding the stub, close-on-exec.
    let fd: Int32
    /// `exec`'s caller is outside the container's PID namespace, where the container's
    /// /proc has no `self`: it execs by fd.
    var byFdFirst = false

    /// Where the stub reports an execve failure.
    enum Report {
        /// The init: `start` has returned, the container's stderr gets the text.
        case stderr
        /// `exec`: a SyncMessage failure on the sync socket, which `exec` reads.
        case syncSocket(Int32)
    }

    /// The errnos execve reports for a container's program, each with its own message; any
    /// other gets a message without the reason.
    static let reportedErrnos: [Int32] = [ENOENT, EACCES, ENOEXEC, ETXTBSY, ELOOP, ENOTDIR, EPERM, E2BIG,
                                          ENOMEM, EISDIR, ENAMETOOLONG, ELIBBAD, EINVAL]

    /// `exec`'s program is started by the stub as its child, so that the program's process,
    /// the one the container's PID namespace sees, never runs swrun's binary at all: the stub
    /// is exec'd outside that namespace (whose children it forks into) and reports the
    /// child's PID on the sync socket as SyncMessage.initPid. The child always starts a new
    /// session (as runc's exec); with `controllingTerminal` it also takes its pty.
    struct ForkChild {
        /// The child makes its stdin, a pty slave, its controlling terminal.
        var controllingTerminal: Bool
    }

    /// Builds the stub for `executable`: waiting on the exec FIFO first when `fifoFd` is given.
    static func prepare(executable: String, fifoFd: Int32?, report: Report,
                        forkChild: ForkChild? = nil) throws(RuntimeError) -> SealedExec {
        let image = try elf(executable: executable, fifoFd: fifoFd, report: report, forkChild: forkChild)
        let fd = try Sys.check("memfd_create", "create the sealed exec stub") { sw_memfd_create_exec("swrun-exec") }
        do throws(RuntimeError) {
            try Sys.writeAll(fd, image, what: "the sealed exec stub")
            let F_ADD_SEALS: Int32 = 1033
            let seals: Int32 = 0x1 | 0x2 | 0x4 | 0x8  // F_SEAL_SEAL, SHRINK, GROW, WRITE
            try Sys.check("fcntl", "seal the exec stub") { sw_fcntl_int(fd, F_ADD_SEALS, seals) }
        } catch {
            close(fd)
            throw error
        }
        return SealedExec(fd: fd, byFdFirst: forkChild != nil)
    }

    /// Execs the stub with the program's argv and environment; returns only on failure, with
    /// errno. The init goes through /proc/self/fd first: execveat is the call a seccomp
    /// profile is likelier to forbid, execve the one every container needs.
    func exec(args: [String], env: [String]) -> Int32 {
        withCStringArray(args) { argv in
            withCStringArray(env) { envp in
                let viaProc = { () -> Int32 in execve("/proc/self/fd/\(fd)", argv, envp); return errno }
                let viaFd = { () -> Int32 in _ = sw_execveat_empty(fd, argv, envp); return errno }
                let e = byFdFirst ? viaFd() : viaProc()
                guard e == ENOENT || e == ENOTDIR || e == ENOSYS || e == EPERM || e == EACCES else { return e }
                return byFdFirst ? viaProc() : viaFd()
            }
        }
    }

    /// The stub as an ELF executable: header, a read+execute PT_LOAD of the whole file, a
    /// non-executable stack, the code, then its parameters (layout in exec_stub.S).
    static func elf(executable: String, fifoFd: Int32?, report: Report,
                    forkChild: ForkChild? = nil) throws(RuntimeError) -> [UInt8] {
        var len = 0
        guard let code = sw_exec_stub(&len), len > 0 else {
            throw RuntimeError("this architecture has no sealed exec stub: swrun cannot keep its own binary out of the container's reach")
        }
        let headerSize = 64 + 2 * 56
        let base: UInt64 = 0x40_0000
        // Built in place: the init builds this on its way to `ready`, where each temporary
        // array (a field, a message) cost an allocation (~100 us in all before).
        var params = [UInt8](repeating: 0, count: 48)
        params.reserveCapacity(2048)
        func put32(_ v: UInt32, at o: Int) { for i in 0..<4 { params[o + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) } }
        func string(_ s: String) -> UInt32 {
            let off = UInt32(truncatingIfNeeded: params.count)
            params.append(contentsOf: s.utf8)
            params.append(0)
            return off
        }
        put32(fifoFd.map { string("/proc/self/fd/\($0)") } ?? 0, at: 0)
        put32(UInt32(bitPattern: fifoFd ?? -1), at: 4)
        put32(string(executable), at: 8)
        let sync: Int32
        if case .syncSocket(let s) = report { sync = s } else { sync = -1 }
        put32(UInt32(bitPattern: sync), at: 12)
        put32(UInt32(bitPattern: sync >= 0 ? sync : 2), at: 16)
        put32(UInt32(truncatingIfNeeded: params.count), at: 20)
        params[24] = UInt8(ascii: "0")
        if let forkChild {
            put32(forkChild.controllingTerminal ? 3 : 1, at: 28)
            // The report is SyncMessage.initPid's JSON, split around the PID the stub prints.
            let marker = "1234567"
            let text = SyncMessage.initPid(1_234_567).toJSON().serialized()
            guard let (before, after) = text.split(around: marker) else { throw RuntimeError("the exec stub's PID report cannot be built") }
            put32(string(before), at: 32)
            put32(UInt32(truncatingIfNeeded: before.utf8.count), at: 36)
            put32(string(after), at: 40)
            put32(UInt32(truncatingIfNeeded: after.utf8.count), at: 44)
        }
        func message(_ e: Int32) {
            let text = failureText(executable: executable, errno: e, report: report)
            appendLE(UInt64(UInt32(bitPattern: e)), bytes: 4, to: &params)
            // A 4-byte field, truncated as before (a count is never negative).
            appendLE(UInt64(truncatingIfNeeded: text.count), bytes: 4, to: &params)
            params.append(contentsOf: text)
        }
        for e in reportedErrnos { message(e) }
        message(0)

        let total = UInt64(headerSize + len + params.count)
        var image: [UInt8] = [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        image.reserveCapacity(headerSize + len + params.count)
        func le16(_ v: UInt64) { appendLE(v, bytes: 2, to: &image) }
        func le32(_ v: UInt64) { appendLE(v, bytes: 4, to: &image) }
        func le64(_ v: UInt64) { appendLE(v, bytes: 8, to: &image) }
        le16(2); le16(62); le32(1)                                           // ET_EXEC, EM_X86_64, EV_CURRENT
        le64(base + UInt64(truncatingIfNeeded: headerSize)); le64(64); le64(0)  // entry, phoff, shoff (headerSize: 176)
        le32(0); le16(64); le16(56); le16(2); le16(64); le16(0); le16(0)
        le32(1); le32(5); le64(0); le64(base); le64(base); le64(total); le64(total); le64(0x1000)
        le32(0x6474_e551); le32(6); le64(0); le64(0); le64(0); le64(0); le64(0); le64(16)
        image.append(contentsOf: UnsafeBufferPointer(start: code, count: len))
        image.append(contentsOf: params)
        return image
    }

    static func failureText(executable: String, errno e: Int32, report: Report) -> [UInt8] {
        switch report {
        case .stderr:
            let why = e == 0 ? "failed" : RuntimeError.errnoText(e)
            return Array("swrun: exec \(executable): \(why)\n".utf8)
        case .syncSocket:
            let err = e == 0 ? RuntimeError("exec \(executable) failed", jsonPath: "process.args[0]", syscall: "execve")
                : RuntimeError.sys("execve", "exec \(executable)", errno: e, jsonPath: "process.args[0]")
            return Array(SyncMessage.failure(err).toJSON().serialized().utf8)
        }
    }

    /// `v`'s low `bytes` bytes, little-endian.
    private static func appendLE(_ v: UInt64, bytes: Int, to a: inout [UInt8]) {
        for i in 0..<bytes { a.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }
}
