// Mirrors runtime-spec specs-go/config.go. Swift names are the JSON keys; fields the spec
// marks REQUIRED are non-optional, everything else is Optional so that "absent" and
// "empty" stay different (runc treats them differently in several places).

public struct Linux: Sendable, Equatable {
    public var uidMappings: [LinuxIDMapping]?
    public var gidMappings: [LinuxIDMapping]?
    public var sysctl: [String: String]?
    public var resources: LinuxResources?
    public var cgroupsPath: String?
    public var namespaces: [LinuxNamespace]?
    public var devices: [LinuxDevice]?
    /// Keyed by the interface name on the host.
    public var netDevices: [String: LinuxNetDevice]?
    public var seccomp: LinuxSeccomp?
    public var rootfsPropagation: String?
    public var maskedPaths: [String]?
    public var readonlyPaths: [String]?
    public var mountLabel: String?
    public var intelRdt: LinuxIntelRdt?
    public var memoryPolicy: LinuxMemoryPolicy?
    public var personality: LinuxPersonality?
    /// Keyed by clock name ("monotonic", "boottime").
    public var timeOffsets: [String: LinuxTimeOffset]?

    public init(
        uidMappings: [LinuxIDMapping]? = nil,
        gidMappings: [LinuxIDMapping]? = nil,
        sysctl: [String: String]? = nil,
        resources: LinuxResources? = nil,
        cgroupsPath: String? = nil,
        namespaces: [LinuxNamespace]? = nil,
        devices: [LinuxDevice]? = nil,
        netDevices: [String: LinuxNetDevice]? = nil,
        seccomp: LinuxSeccomp? = nil,
        rootfsPropagation: String? = nil,
        maskedPaths: [String]? = nil,
        readonlyPaths: [String]? = nil,
        mountLabel: String? = nil,
        intelRdt: LinuxIntelRdt? = nil,
        memoryPolicy: LinuxMemoryPolicy? = nil,
        personality: LinuxPersonality? = nil,
        timeOffsets: [String: LinuxTimeOffset]? = nil
    ) {
        self.uidMappings = uidMappings
        self.gidMappings = gidMappings
        self.sysctl = sysctl
        self.resources = resources
        self.cgroupsPath = cgroupsPath
        self.namespaces = namespaces
        self.devices = devices
        self.netDevices = netDevices
        self.seccomp = seccomp
        self.rootfsPropagation = rootfsPropagation
        self.maskedPaths = maskedPaths
        self.readonlyPaths = readonlyPaths
        self.mountLabel = mountLabel
        self.intelRdt = intelRdt
        self.memoryPolicy = memoryPolicy
        self.personality = personality
        self.timeOffsets = timeOffsets
    }
}

public struct LinuxNamespace: Sendable, Equatable {
    /// pid, network, mount, ipc, uts, user, cgroup or time.
    public var type: String
    /// Join this namespace instead of creating one.
    public var path: String?

    public init(type: String, path: String? = nil) {
        self.type = type
        self.path = path
    }
}

public struct LinuxDevice: Sendable, Equatable {
    public var path: String
    /// c, b, u or p.
    public var type: String
    /// Required unless type is p (checked by validate).
    public var major: UInt32?
    public var minor: UInt32?
    public var fileMode: UInt32?
    public var uid: UInt32?
    public var gid: UInt32?

    public init(
        path: String,
        type: String,
        major: UInt32? = nil,
        minor: UInt32? = nil,
        fileMode: UInt32? = nil,
        uid: UInt32? = nil,
        gid: UInt32? = nil
    ) {
        self.path = path
        self.type = type
        self.major = major
        self.minor = minor
        self.fileMode = fileMode
        self.uid = uid
        self.gid = gid
    }
}

public struct LinuxNetDevice: Sendable, Equatable {
    /// Name inside the container; absent keeps the host name.
    public var name: String?

    public init(name: String? = nil) {
        self.name = name
    }
}

public struct LinuxPersonality: Sendable, Equatable {
    /// LINUX or LINUX32.
    public var domain: String
    public var flags: [String]?

    public init(domain: String, flags: [String]? = nil) {
        self.domain = domain
        self.flags = flags
    }
}

public struct LinuxTimeOffset: Sendable, Equatable {
    public var secs: Int64?
    public var nanosecs: UInt32?

    public init(secs: Int64? = nil, nanosecs: UInt32? = nil) {
        self.secs = secs
        self.nanosecs = nanosecs
    }
}

public struct LinuxIntelRdt: Sendable, Equatable {
    public var closID: String?
    public var schemata: [String]?
    public var l3CacheSchema: String?
    public var memBwSchema: String?
    public var enableMonitoring: Bool?

    public init(
        closID: String? = nil,
        schemata: [String]? = nil,
        l3CacheSchema: String? = nil,
        memBwSchema: String? = nil,
        enableMonitoring: Bool? = nil
    ) {
        self.closID = closID
        self.schemata = schemata
        self.l3CacheSchema = l3CacheSchema
        self.memBwSchema = memBwSchema
        self.enableMonitoring = enableMonitoring
    }
}

/// set_mempolicy(2) input.
public struct LinuxMemoryPolicy: Sendable, Equatable {
    public var mode: String
    /// Node list ("0-1,3").
    public var nodes: String?
    public var flags: [String]?

    public init(mode: String, nodes: String? = nil, flags: [String]? = nil) {
        self.mode = mode
        self.nodes = nodes
        self.flags = flags
    }
}
