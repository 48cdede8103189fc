/// `linux.netDevices` (runtime-spec 1.3): host interfaces moved into the container's network
/// namespace at create. Checked here, before anything exists, what can be known from the
/// config alone; the host side (the device exists) is checked by the runtime before it
/// creates anything, and the kernel has the last word on the move itself.
extension Spec {
    /// IFNAMSIZ less the terminating NUL.
    static let maxInterfaceName = 15

    func validateNetDevices() throws(RuntimeError) {
        guard let devices = linux?.netDevices, !devices.isEmpty else { return }
        var targets: [String: String] = [:]
        for hostName in devices.keys.sorted() {
            let path = JSONPath.key("linux.netDevices", hostName)
            try Spec.validateInterfaceName(hostName, path: path)
            try requireOwnNamespace("network", "a network", for: path,
                                    without: "the device would only be renamed in the host's")
            var target = hostName
            if let name = devices[hostName]?.name, !name.isEmpty {
                try Spec.validateInterfaceName(name, path: path + ".name")
                target = name
            }
            // With "%d" the kernel picks a free name; without it two entries cannot share one.
            if !target.includes("%d") {
                if let other = targets[target] {
                    throw RuntimeError.config(path + ".name",
                        "\"\(target)\" is also the name of linux.netDevices[\"\(other)\"] in the container")
                }
                targets[target] = hostName
            }
            if target == "lo" && linux?.namespaces?.first(where: { $0.type == "network" })?.path == nil {
                throw RuntimeError.config(path + ".name",
                    "\"lo\" already exists in a new network namespace (its loopback interface)")
            }
        }
    }

    /// The kernel's dev_valid_name(): 1 to 15 bytes, not "." or "..", no "/", ":" or white
    /// space. A "%d" template is the kernel's too (one at most).
    static func validateInterfaceName(_ name: String, path: String) throws(RuntimeError) {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= maxInterfaceName else {
            throw RuntimeError.config(path, "\"\(name)\" is not an interface name: 1 to \(maxInterfaceName) bytes")
        }
        guard name != ".", name != ".." else {
            throw RuntimeError.config(path, "\"\(name)\" is not an interface name")
        }
        // isspace() in the kernel: space, \t \n \v \f \r.
        let forbidden: Set<UInt8> = [0x2F, 0x3A, 0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D]
        if bytes.contains(where: { forbidden.contains($0) }) {
            throw RuntimeError.config(path, "\"\(name)\" is not an interface name: no \"/\", \":\" or white space")
        }
        if name.split(separator: "%", omittingEmptySubsequences: false).count > 2 || (name.includes("%") && !name.includes("%d")) {
            throw RuntimeError.config(path, "\"\(name)\" is not an interface name: \"%\" only as one \"%d\" template")
        }
    }
}
