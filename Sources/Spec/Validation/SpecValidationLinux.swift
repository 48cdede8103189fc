/// Checks of the `linux` section that do not depend on namespaces or seccomp.
extension Spec {
    func validateLinuxDevices() throws(RuntimeError) {
        for (i, dev) in (linux?.devices ?? []).enumerated() {
            let path = "linux.devices[\(i)]"
            guard Spec.deviceTypes.contains(dev.type) else {
                throw RuntimeError.config(path + ".type", "unknown device type " + Spec.quotedChoice(dev.type, Spec.deviceTypes))
            }
            guard dev.path.hasPrefix("/") else {
                throw RuntimeError.config(path + ".path", "must be an absolute path, got \"\(dev.path)\"")
            }
            if dev.type != "p" {
                if dev.major == nil {
                    throw RuntimeError.config(path + ".major", "required for device type \"\(dev.type)\"")
                }
                if dev.minor == nil {
                    throw RuntimeError.config(path + ".minor", "required for device type \"\(dev.type)\"")
                }
            }
        }
    }

    func validateLinuxMisc() throws(RuntimeError) {
        guard let linux else { return }
        // Not built (no machine here has resctrl to test it on): refused, never ignored, as
        // runc refuses it on a host without resctrl. `features` says intelRdt is disabled.
        if linux.intelRdt != nil {
            throw RuntimeError.config("linux.intelRdt", "Intel RDT (resctrl) is not supported by swrun")
        }
        // An empty string is what Go's omitempty leaves behind: same as absent.
        if let mode = linux.rootfsPropagation, !mode.isEmpty,
           !Spec.rootfsPropagationModes.contains(mode)
        {
            throw RuntimeError.config("linux.rootfsPropagation",
                "unknown propagation " + Spec.quotedChoice(mode, Spec.rootfsPropagationModes))
        }
        if let domain = linux.personality?.domain, !Spec.personalityDomains.contains(domain) {
            throw RuntimeError.config("linux.personality.domain",
                "unknown domain " + Spec.quotedChoice(domain, Spec.personalityDomains))
        }
        if let p = linux.memoryPolicy { _ = try MemoryPolicyRules.check(p) }
    }
}
