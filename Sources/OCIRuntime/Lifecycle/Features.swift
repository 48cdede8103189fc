import Spec

/// `features` (runtime-spec features.md): what this build really supports, so engines can
/// decide before they ask. Keep it in step with the code: a test checks each claim.
public enum Features {
    public static func document(version: String) -> JSONValue {
        let mountOptions = (MountOptions.names + ["bind", "rbind"]).sorted()
        let caps = Spec.capabilityNames.map { JSONValue.string($0) }
        func strings(_ a: [String]) -> JSONValue { .array(a.map { .string($0) }) }
        return .object([
            ("ociVersionMin", .string("1.0.0")),
            ("ociVersionMax", .string("1.3.0")),
            ("hooks", strings(["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"])),
            ("mountOptions", strings(mountOptions)),
            ("linux", .object([
                ("namespaces", strings(["cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"])),
                ("capabilities", .array(caps)),
                ("cgroup", .object([("v1", .bool(true)), ("v2", .bool(true)), ("systemd", .bool(false)),
                                    ("systemdUser", .bool(false)), ("rdma", .bool(false))])),
                ("seccomp", .object([
                    ("enabled", .bool(true)),
                    ("actions", strings(Spec.seccompActions)),
                    ("operators", strings(Spec.seccompOperators)),
                    ("archs", strings(Spec.seccompArchitectures)),
                    ("knownFlags", strings(Spec.seccompFlags)),
                    ("supportedFlags", strings(["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                                "SECCOMP_FILTER_FLAG_SPEC_ALLOW"])),
                ])),
                ("apparmor", .object([("enabled", .bool(true))])),
                ("selinux", .object([("enabled", .bool(true))])),
                ("intelRdt", .object([("enabled", .bool(false))])),
                ("netDevices", .object([("enabled", .bool(true))])),
                ("memoryPolicy", .object([("modes", strings(Spec.memoryPolicyModes)),
                                          ("flags", strings(MemoryPolicyRules.flagNames))])),
                ("mountExtensions", .object([("idmap", .object([("enabled", .bool(true))]))])),
            ])),
            ("annotations", .object([("org.opencontainers.runtime-spec.features.runtime", .string("swrun")),
                                     ("io.github.swrun.version", .string(version)),
                                     // Not a features.md field: checkpoint/restore (runc's commands) need CRIU.
                                     ("io.github.swrun.checkpoint", .string(CriuBinary.featureText))])),
        ])
    }
}
