import Spec

/// What swrun keeps about a container in `<root>/<id>/state.json`. Everything later commands
/// need is copied here at create time: the bundle's config.json may change afterwards and
/// must not affect a created container.
public struct ContainerRecord: Equatable, Sendable {
    public var ociVersion: String
    public var id: String
    public var pid: Int32
    public var pidStartTime: UInt64
    public var bundle: String
    public var rootfs: String
    public var created: String
    public var owner: String
    public var annotations: StringTable
    /// Every cgroup directory the container was put in (one per v1 hierarchy, plus v2).
    public var cgroupPaths: [String]
    /// Whether the container has its own PID namespace (kill --all / delete must then only
    /// signal init; otherwise every process in the cgroup).
    public var ownPidNamespace: Bool
    /// The config's hooks object, verbatim, for poststop at delete time.
    public var hooks: JSONValue?
    /// The container had no mount namespace: its mounts live in the host's and `delete`
    /// must unmount everything under the rootfs.
    public var hostMounts: Bool
    /// The systemd unit the container runs in (`--systemd-cgroup`): `delete` stops it.
    public var systemdUnit: String?
    /// That unit is the user's manager's (rootless), reached over the user's session bus.
    public var systemdUser = false

    public init(ociVersion: String, id: String, pid: Int32, pidStartTime: UInt64, bundle: String,
                rootfs: String, created: String, owner: String, annotations: StringTable,
                cgroupPaths: [String], ownPidNamespace: Bool, hooks: JSONValue?, hostMounts: Bool = false) {
        self.ociVersion = ociVersion; self.id = id; self.pid = pid; self.pidStartTime = pidStartTime
        self.bundle = bundle; self.rootfs = rootfs; self.created = created; self.owner = owner
        self.annotations = annotations; self.cgroupPaths = cgroupPaths
        self.ownPidNamespace = ownPidNamespace; self.hooks = hooks
        self.hostMounts = hostMounts
    }

    public static func == (a: ContainerRecord, b: ContainerRecord) -> Bool {
        a.toJSON() == b.toJSON()
    }

    public func toJSON() -> JSONValue {
        var o: [(String, JSONValue)] = [
            ("ociVersion", .string(ociVersion)), ("id", .string(id)), ("pid", .int(Int64(pid))),
            ("pidStartTime", .int(Int64(pidStartTime))), ("bundle", .string(bundle)),
            ("rootfs", .string(rootfs)), ("created", .string(created)), ("owner", .string(owner)),
            ("annotations", annotations.jsonObject),
            ("cgroupPaths", .array(cgroupPaths.map { .string($0) })),
            ("ownPidNamespace", .bool(ownPidNamespace)), ("hostMounts", .bool(hostMounts)),
        ]
        if let h = hooks { o.append(("hooks", h)) }
        if let u = systemdUnit { o.append(("systemdUnit", .string(u))) }
        if systemdUser { o.append(("systemdUser", .bool(true))) }
        return .object(o)
    }

    public static func fromJSON(_ v: JSONValue) throws(RuntimeError) -> ContainerRecord {
        func str(_ k: String) throws(RuntimeError) -> String {
            guard let s = v[k]?.stringValue else { throw RuntimeError("missing \(k)") }
            return s
        }
        guard let pidValue = v["pid"]?.intValue, let startValue = v["pidStartTime"]?.intValue else {
            throw RuntimeError("missing pid")
        }
        // Checked, not converted: a damaged file must give an error, not a trap.
        guard let pid = Int32(exactly: pidValue), pid >= 0 else {
            throw RuntimeError("pid \(pidValue) is not a process ID")
        }
        guard let start = UInt64(exactly: startValue) else {
            throw RuntimeError("pidStartTime \(startValue) is out of range")
        }
        var ann = StringTable()
        if case .object(let pairs)? = v["annotations"] {
            for (k, val) in pairs { if let s = val.stringValue { ann[k] = s } }
        }
        var cg: [String] = []
        if case .array(let items)? = v["cgroupPaths"] { cg = items.compactMap { $0.stringValue } }
        var own = true
        if case .bool(let b)? = v["ownPidNamespace"] { own = b }
        var hostMounts = false
        if case .bool(let b)? = v["hostMounts"] { hostMounts = b }
        var record = ContainerRecord(ociVersion: try str("ociVersion"), id: try str("id"), pid: pid,
                               pidStartTime: start, bundle: try str("bundle"), rootfs: try str("rootfs"),
                               created: try str("created"), owner: v["owner"]?.stringValue ?? "",
                               annotations: ann, cgroupPaths: cg, ownPidNamespace: own, hooks: v["hooks"],
                               hostMounts: hostMounts)
        record.systemdUnit = v["systemdUnit"]?.stringValue
        if case .bool(true)? = v["systemdUser"] { record.systemdUser = true }
        return record
    }

    /// The runtime-spec state (runtime.md "State") plus runc's extra fields engines read.
    public func publicState(status: ContainerStatus) -> JSONValue {
        var o: [(String, JSONValue)] = [
            ("ociVersion", .string(ociVersion)), ("id", .string(id)),
            ("pid", .int(status == .stopped ? 0 : Int64(pid))),
            ("status", .string(status.rawValue)), ("bundle", .string(bundle)),
            ("rootfs", .string(rootfs)), ("created", .string(created)), ("owner", .string(owner)),
        ]
        if !annotations.isEmpty { o.append(("annotations", annotations.jsonObject)) }
        return .object(o)
    }
}

public enum ContainerStatus: String, Sendable {
    case creating, created, running, paused, stopped
}
