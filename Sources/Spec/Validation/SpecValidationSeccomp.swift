/// Seccomp names are checked up front: a typo in a profile would otherwise surface only
/// in the container's init, after namespaces and mounts were already set up.
extension Spec {
    func validateSeccomp() throws(RuntimeError) {
        guard let seccomp = linux?.seccomp else { return }
        let base = "linux.seccomp"
        guard Spec.seccompActions.contains(seccomp.defaultAction) else {
            throw RuntimeError.config(base + ".defaultAction", "unknown action \"\(seccomp.defaultAction)\"")
        }
        for (i, arch) in (seccomp.architectures ?? []).enumerated()
        where !Spec.seccompArchitectures.contains(arch) {
            throw RuntimeError.config(base + ".architectures[\(i)]", "unknown architecture \"\(arch)\"")
        }
        for (i, flag) in (seccomp.flags ?? []).enumerated() where !Spec.seccompFlags.contains(flag) {
            throw RuntimeError.config(base + ".flags[\(i)]", "unknown flag \"\(flag)\"")
        }
        for (i, sc) in (seccomp.syscalls ?? []).enumerated() {
            let path = base + ".syscalls[\(i)]"
            guard !sc.names.isEmpty else {
                throw RuntimeError.config(path + ".names", "must name at least one syscall")
            }
            guard Spec.seccompActions.contains(sc.action) else {
                throw RuntimeError.config(path + ".action", "unknown action \"\(sc.action)\"")
            }
            for (j, arg) in (sc.args ?? []).enumerated() {
                let argPath = path + ".args[\(j)]"
                guard arg.index < 6 else {
                    throw RuntimeError.config(argPath + ".index", "\(arg.index) is out of range (0 to 5)")
                }
                guard Spec.seccompOperators.contains(arg.op) else {
                    throw RuntimeError.config(argPath + ".op", "unknown operator \"\(arg.op)\"")
                }
            }
        }
    }
}
