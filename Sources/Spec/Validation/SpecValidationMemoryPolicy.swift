/// linux.memoryPolicy (config-linux.md, runtime-spec 1.3), checked before anything exists:
/// what set_mempolicy(2) would refuse, named by its JSON path. Whether the nodes exist on
/// this host is the runtime's check where it applies the policy (ProcessAttributes).
public enum MemoryPolicyRules {
    public static let flagNames: [String] = ["MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES"]
    public static let relativeNodes: Int32 = 1 << 14
    /// The kernel's largest node number with CONFIG_NODES_SHIFT=10 (MAX_NUMNODES 1024), the
    /// most any kernel allows: the bitmask handed to set_mempolicy has this many bits.
    public static let maxNode = 1023

    /// What `check` found, ready for set_mempolicy.
    public struct Checked: Sendable, Equatable {
        public var mode: Int32
        public var flags: Int32
        public var nodes: [Int]
    }

    /// linux/mempolicy.h.
    static func modeNumber(_ mode: String) -> Int32? {
        switch mode {
        case "MPOL_DEFAULT": return 0
        case "MPOL_PREFERRED": return 1
        case "MPOL_BIND": return 2
        case "MPOL_INTERLEAVE": return 3
        case "MPOL_LOCAL": return 4
        case "MPOL_PREFERRED_MANY": return 5
        case "MPOL_WEIGHTED_INTERLEAVE": return 6
        default: return nil
        }
    }

    static func flagBit(_ flag: String) -> Int32? {
        switch flag {
        case "MPOL_F_NUMA_BALANCING": return 1 << 13
        case "MPOL_F_RELATIVE_NODES": return 1 << 14
        case "MPOL_F_STATIC_NODES": return 1 << 15
        default: return nil
        }
    }

    /// A node list as the kernel prints one ("0-3,5"), in ascending order without repeats;
    /// "" is no node.
    public static func nodes(_ list: String, path: String) throws(RuntimeError) -> [Int] {
        try NumberList.parse(list, max: maxNode, noun: "node", path: path)
    }

    public static func check(_ p: LinuxMemoryPolicy, path: String = "linux.memoryPolicy") throws(RuntimeError) -> Checked {
        guard let mode = modeNumber(p.mode) else {
            throw RuntimeError.config(path + ".mode", "unknown mode " + Spec.quotedChoice(p.mode, Spec.memoryPolicyModes))
        }
        var flags: Int32 = 0
        for (i, f) in (p.flags ?? []).enumerated() {
            guard let bit = flagBit(f) else {
                throw RuntimeError.config("\(path).flags[\(i)]", "unknown flag " + Spec.quotedChoice(f, flagNames))
            }
            flags |= bit
        }
        let static_ = flagBit("MPOL_F_STATIC_NODES") ?? 0
        if flags & static_ != 0 && flags & relativeNodes != 0 {
            throw RuntimeError.config(path + ".flags", "MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other")
        }
        let nodes = try self.nodes(p.nodes ?? "", path: path + ".nodes")
        switch p.mode {
        case "MPOL_DEFAULT", "MPOL_LOCAL":
            guard nodes.isEmpty else { throw RuntimeError.config(path + ".nodes", "\(p.mode) takes no nodes") }
            guard flags & (static_ | relativeNodes) == 0 else {
                throw RuntimeError.config(path + ".flags", "\(p.mode) takes no node flags")
            }
        case "MPOL_PREFERRED":
            // No node means local allocation; the node flags need a node to act on.
            if nodes.isEmpty && flags & (static_ | relativeNodes) != 0 {
                throw RuntimeError.config(path + ".nodes", "MPOL_PREFERRED with a node flag needs a node")
            }
        default:
            guard !nodes.isEmpty else { throw RuntimeError.config(path + ".nodes", "\(p.mode) needs at least one node") }
        }
        return Checked(mode: mode, flags: flags, nodes: nodes)
    }
}
