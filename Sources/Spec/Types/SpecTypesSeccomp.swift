// Mirrors runtime-spec specs-go/config.go. Swift names are the JSON keys; fields the spec
// marks REQUIRED are non-optional, everything else is Optional so that "absent" and
// "empty" stay different (runc treats them differently in several places).

public struct LinuxSeccomp: Sendable, Equatable {
    /// SCMP_ACT_*.
    public var defaultAction: String
    public var defaultErrnoRet: UInt32?
    /// SCMP_ARCH_*.
    public var architectures: [String]?
    /// SECCOMP_FILTER_FLAG_*.
    public var flags: [String]?
    /// Unix socket that receives the notify fd (SCMP_ACT_NOTIFY).
    public var listenerPath: String?
    public var listenerMetadata: String?
    public var syscalls: [LinuxSyscall]?

    public init(
        defaultAction: String,
        defaultErrnoRet: UInt32? = nil,
        architectures: [String]? = nil,
        flags: [String]? = nil,
        listenerPath: String? = nil,
        listenerMetadata: String? = nil,
        syscalls: [LinuxSyscall]? = nil
    ) {
        self.defaultAction = defaultAction
        self.defaultErrnoRet = defaultErrnoRet
        self.architectures = architectures
        self.flags = flags
        self.listenerPath = listenerPath
        self.listenerMetadata = listenerMetadata
        self.syscalls = syscalls
    }
}

public struct LinuxSyscall: Sendable, Equatable {
    public var names: [String]
    public var action: String
    public var errnoRet: UInt32?
    public var args: [LinuxSeccompArg]?

    public init(
        names: [String],
        action: String,
        errnoRet: UInt32? = nil,
        args: [LinuxSeccompArg]? = nil
    ) {
        self.names = names
        self.action = action
        self.errnoRet = errnoRet
        self.args = args
    }
}

public struct LinuxSeccompArg: Sendable, Equatable {
    public var index: UInt32
    public var value: UInt64
    public var valueTwo: UInt64?
    /// SCMP_CMP_*.
    public var op: String

    public init(index: UInt32, value: UInt64, valueTwo: UInt64? = nil, op: String) {
        self.index = index
        self.value = value
        self.valueTwo = valueTwo
        self.op = op
    }
}
