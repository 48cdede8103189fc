#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// What the seccomp agent is told about the container (the runtime-spec state's fields that
/// the init knows).
struct SeccompContainer {
    var ociVersion: String
    var id: String
    var bundle: String
    var annotations: StringTable

    init(id: String, bundle: String, spec: Spec) {
        self.ociVersion = spec.ociVersion
        self.id = id
        self.bundle = bundle
        self.annotations = spec.annotations ?? StringTable()
    }
}

/// runtime-spec "seccomp notify": after load, the notify fd goes to `listenerPath` over
/// SCM_RIGHTS, with the container process state as the message:
/// `{"ociVersion","fds":["seccompFd"],"pid","metadata","state":{ociVersion,id,status,pid,bundle,annotations}}`.
///
/// Differences from runc, which sends it from the host side during `create`:
/// - the init connects in `prepare`, while it still sees the host's filesystem (the
///   listener's path is a host path; after pivot_root it is out of reach), and sends after
///   `start` when the filter is loaded. In a user namespace the connect is made as the
///   container's root: the socket must be writable by that mapped user.
/// - `pid` is read from /proc/self in `prepare`: the PID the runtime's PID namespace sees
///   when stage 2 prepares before mounting the container's /proc (as it does); 0 if it
///   cannot be read. An agent can also take it from SO_PEERCRED.
/// - `status` is "created": the filter is loaded after `start`, before the user's program
///   is executed.
struct SeccompListener {
    var path: String
    var fd: Int32
    var payload: [UInt8]

    init(path: String, config: LinuxSeccomp, container: SeccompContainer?) throws(RuntimeError) {
        self.path = path
        self.fd = try SeccompListener.connect(path)
        self.payload = SeccompListener.state(config: config, container: container, pid: SeccompListener.hostPid())
            .serializedBytes()
    }

    /// `exec`: connected by the runtime on the host (the exec'd process joins the container's
    /// mount namespace, where the listener's path is out of reach), nil without a NOTIFY rule.
    /// The message's pid is the process's PID in the container's PID namespace.
    static func forExec(spec: Spec, id: String, bundle: String) throws(RuntimeError) -> SeccompListener? {
        guard let config = spec.linux?.seccomp, let path = config.listenerPath, !path.isEmpty,
              (config.syscalls ?? []).contains(where: { $0.action == "SCMP_ACT_NOTIFY" }) else { return nil }
        return try SeccompListener(path: path, config: config, container: SeccompContainer(id: id, bundle: bundle, spec: spec))
    }

    /// The same listener with the message naming `pid` (known only in the exec'd process).
    func withPid(_ pid: Int32, config: LinuxSeccomp, container: SeccompContainer) -> SeccompListener {
        var l = self
        l.payload = SeccompListener.state(config: config, container: container, pid: pid).serializedBytes()
        return l
    }

    static func state(config: LinuxSeccomp, container: SeccompContainer?, pid: Int32) -> JSONValue {
        let version = container?.ociVersion ?? "1.2.0"
        let state: JSONValue = .object([
            ("ociVersion", .string(version)), ("id", .string(container?.id ?? "")),
            ("status", .string("created")), ("pid", .int(Int64(pid))),
            ("bundle", .string(container?.bundle ?? "")),
            ("annotations", (container?.annotations ?? StringTable()).sortedByKey().jsonObject),
        ])
        return .object([
            ("ociVersion", .string(version)), ("fds", .array([.string("seccompFd")])),
            ("pid", .int(Int64(pid))), ("metadata", .string(config.listenerMetadata ?? "")),
            ("state", state),
        ])
    }

    /// Our PID in the PID namespace of the /proc mounted at /proc (0 if unknown).
    static func hostPid() -> Int32 {
        Sys.readLink("/proc/self").flatMap { Int32($0) } ?? 0
    }

    /// A stream socket like runc's (a SOCK_SEQPACKET listener is accepted too).
    static func connect(_ path: String) throws(RuntimeError) -> Int32 {
        let jsonPath = "linux.seccomp.listenerPath"
        let stream = try UnixSocket.connect(path, type: SOCK_STREAM, what: "the seccomp listener", jsonPath: jsonPath)
        guard case .failure(let e) = stream, e.errno == EPROTOTYPE else { return try stream.get() }
        return try UnixSocket.connect(path, type: SOCK_SEQPACKET, what: "the seccomp listener", jsonPath: jsonPath).get()
    }

    func send(_ notifyFd: Int32) throws(RuntimeError) {
        defer { close(fd) }
        let rc = payload.withUnsafeBytes { sw_send_fd(fd, notifyFd, $0.baseAddress, $0.count) }
        if rc < 0 {
            let e = errno
            throw RuntimeError.sys("sendmsg", "send the seccomp notify fd to \(path)", errno: e,
                                   jsonPath: "linux.seccomp.listenerPath")
        }
    }
}
