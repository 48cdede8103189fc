// Mirrors runtime-spec specs-go/config.go. Swift names are the JSON keys; fields the spec
// marks REQUIRED are non-optional, everything else is Optional so that "absent" and
// "empty" stay different (runc treats them differently in several places).

/// The container configuration, `config.json` in the bundle (runtime-spec 1.0 to 1.3).
public struct Spec: Sendable, Equatable {
    public var ociVersion: String
    /// Required by `create`; optional in the document so `state`/`delete` can read a config without one.
    public var process: Process?
    public var root: Root?
    public var hostname: String?
    public var domainname: String?
    /// In order: later mounts may be on top of earlier ones.
    public var mounts: [Mount]?
    public var hooks: Hooks?
    /// A StringTable, not a [String: String]: engines send annotations with every create, and the
    /// first String-keyed dictionary of a process costs a scan of every protocol conformance.
    public var annotations: StringTable?
    public var linux: Linux?

    public init(
        ociVersion: String,
        process: Process? = nil,
        root: Root? = nil,
        hostname: String? = nil,
        domainname: String? = nil,
        mounts: [Mount]? = nil,
        hooks: Hooks? = nil,
        annotations: StringTable? = nil,
        linux: Linux? = nil
    ) {
        self.ociVersion = ociVersion
        self.process = process
        self.root = root
        self.hostname = hostname
        self.domainname = domainname
        self.mounts = mounts
        self.hooks = hooks
        self.annotations = annotations
        self.linux = linux
    }
}

public struct Root: Sendable, Equatable {
    /// Relative paths are relative to the bundle.
    public var path: String
    public var readonly: Bool?

    public init(path: String, readonly: Bool? = nil) {
        self.path = path
        self.readonly = readonly
    }
}

public struct Mount: Sendable, Equatable {
    public var destination: String
    public var type: String?
    public var source: String?
    public var options: [String]?
    /// Idmapped mount (mount_setattr MOUNT_ATTR_IDMAP).
    public var uidMappings: [LinuxIDMapping]?
    public var gidMappings: [LinuxIDMapping]?

    public init(
        destination: String,
        type: String? = nil,
        source: String? = nil,
        options: [String]? = nil,
        uidMappings: [LinuxIDMapping]? = nil,
        gidMappings: [LinuxIDMapping]? = nil
    ) {
        self.destination = destination
        self.type = type
        self.source = source
        self.options = options
        self.uidMappings = uidMappings
        self.gidMappings = gidMappings
    }
}

public struct LinuxIDMapping: Sendable, Equatable {
    public var containerID: UInt32
    public var hostID: UInt32
    public var size: UInt32

    public init(containerID: UInt32, hostID: UInt32, size: UInt32) {
        self.containerID = containerID
        self.hostID = hostID
        self.size = size
    }
}

public struct Hook: Sendable, Equatable {
    public var path: String
    /// argv including argv[0]; when absent argv[0] is `path`.
    public var args: [String]?
    public var env: [String]?
    /// Seconds; must be > 0 when present.
    public var timeout: Int?

    public init(path: String, args: [String]? = nil, env: [String]? = nil, timeout: Int? = nil) {
        self.path = path
        self.args = args
        self.env = env
        self.timeout = timeout
    }
}

/// Each list runs in array order; the first failure stops the list.
public struct Hooks: Sendable, Equatable {
    /// Deprecated by the spec, still run (after createRuntime's point in time).
    public var prestart: [Hook]?
    public var createRuntime: [Hook]?
    public var createContainer: [Hook]?
    public var startContainer: [Hook]?
    public var poststart: [Hook]?
    public var poststop: [Hook]?

    public init(
        prestart: [Hook]? = nil,
        createRuntime: [Hook]? = nil,
        createContainer: [Hook]? = nil,
        startContainer: [Hook]? = nil,
        poststart: [Hook]? = nil,
        poststop: [Hook]? = nil
    ) {
        self.prestart = prestart
        self.createRuntime = createRuntime
        self.createContainer = createContainer
        self.startContainer = startContainer
        self.poststart = poststart
        self.poststop = poststop
    }
}
