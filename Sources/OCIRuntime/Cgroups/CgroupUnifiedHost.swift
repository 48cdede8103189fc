import Spec

/// `linux.resources.unified` only on a host with nothing but cgroup v2, as runc
/// (ErrV1NoUnified). On a hybrid host (v1 controllers plus a controller-less v2 tree, these
/// machines) the v2 tree limits nothing, so a `unified` key there could only reach the
/// cgroup's own interface files: issue 12, class 6, where `cgroup.procs` moved a host
/// process into the container's v2 cgroup and `delete --force` killed it.
enum CgroupUnifiedHost {
    /// Checked by create before anything exists, by update before any write, and by the
    /// cgroupfs driver itself where it would write. `path`: where the resources object is
    /// ("resources" for `update -r`).
    static func refuseUnifiedUnlessPureV2(_ r: LinuxResources?, hierarchies: [CgroupHierarchy],
                                          path: String = "linux.resources") throws(RuntimeError) {
        guard let u = r?.unified, !u.isEmpty else { return }
        if hierarchies.isEmpty || hierarchies.contains(where: { !$0.isV2 }) {
            throw RuntimeError.config(path + ".unified",
                "needs a host with only cgroup v2 (this one mounts cgroup v1 hierarchies), as in runc")
        }
    }

    /// Create's check: reads the host's hierarchies only when the config has `unified`.
    static func refuseUnifiedUnlessPureV2(_ r: LinuxResources?) throws(RuntimeError) {
        guard let u = r?.unified, !u.isEmpty else { return }
        try refuseUnifiedUnlessPureV2(r, hierarchies: CgroupHierarchies.discover())
    }
}
