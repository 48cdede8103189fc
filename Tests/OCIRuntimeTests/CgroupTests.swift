import XCTest
@testable import OCIRuntime
import Spec

final class CgroupTests: XCTestCase {
    static let hybridMountinfo = """
        22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
        34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """
    static let hybridProcCgroup = "9:name=systemd:/\n4:memory:/process_api/7afb\n3:cpuset:/\n1:cpu:/\n0::/\n"

    static let v2Mountinfo = """
        24 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw
        30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
        """
    static let v2ProcCgroup = "0::/user.slice/user-1000.slice/session-3.scope\n"

    func hybrid() -> [CgroupHierarchy] {
        CgroupHierarchies.parse(mountinfo: Self.hybridMountinfo,
                                procCgroup: CgroupHierarchies.parseProcCgroup(Self.hybridProcCgroup))
    }

    func testParseStringTable() {
        let own = CgroupHierarchies.parseProcCgroup(Self.hybridProcCgroup)
        XCTAssertEqual(own.keys.count, 5)
        XCTAssertEqual(own["name=systemd"], "/")
        XCTAssertEqual(own["memory"], "/process_api/7afb")
        XCTAssertEqual(own["cpuset"], "/")
        XCTAssertEqual(own["cpu"], "/")
        XCTAssertEqual(own[""], "/")
        XCTAssertNil(own["pids"])
        // Paths may contain ':'.
        XCTAssertEqual(CgroupHierarchies.parseProcCgroup("0::/a:b\n"), StringTable(keys: [""], values: ["/a:b"]))
        XCTAssertEqual(CgroupHierarchies.parseProcCgroup("garbage\n\n"), StringTable())
        // A repeated key keeps the last path, as the dictionary did.
        XCTAssertEqual(CgroupHierarchies.parseProcCgroup("0::/a\n0::/b\n"), StringTable(keys: [""], values: ["/b"]))
    }

    func testHybridHost() {
        let h = hybrid()
        XCTAssertEqual(h, [
            CgroupHierarchy(mountPoint: "/sys/fs/cgroup/cpu", mountRoot: "/", controllers: ["cpu"], isV2: false, ownPath: "/"),
            CgroupHierarchy(mountPoint: "/sys/fs/cgroup/cpuset", mountRoot: "/", controllers: ["cpuset"], isV2: false, ownPath: "/"),
            CgroupHierarchy(mountPoint: "/sys/fs/cgroup/memory", mountRoot: "/", controllers: ["memory"], isV2: false,
                            ownPath: "/process_api/7afb"),
            CgroupHierarchy(mountPoint: "/sys/fs/cgroup/systemd", mountRoot: "/", controllers: ["name=systemd"], isV2: false,
                            ownPath: "/"),
            CgroupHierarchy(mountPoint: "/sys/fs/cgroup/unified", mountRoot: "/", controllers: [], isV2: true, ownPath: "/"),
        ])
        XCTAssertEqual(h.map(\.name), ["cpu", "cpuset", "memory", "name=systemd", "unified"])
    }

    func testPureV2Host() {
        let h = CgroupHierarchies.parse(mountinfo: Self.v2Mountinfo,
                                        procCgroup: CgroupHierarchies.parseProcCgroup(Self.v2ProcCgroup))
        XCTAssertEqual(h, [CgroupHierarchy(mountPoint: "/sys/fs/cgroup", mountRoot: "/", controllers: [], isV2: true,
                                           ownPath: "/user.slice/user-1000.slice/session-3.scope")])
        XCTAssertEqual(h.first?.name, "unified")
    }

    func testCoMountedControllersOptionalFieldsAndDuplicates() {
        // Optional fields before "-", controllers mounted together (listed in another order in
        // /proc/self/cgroup), a second mount of the same hierarchy (ignored), an escaped
        // mount point, and non-controller super options.
        let mountinfo = """
            50 31 0:40 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:9 master:2 - cgroup cgroup rw,cpu,cpuacct
            51 31 0:40 / /mnt/again rw - cgroup cgroup rw,cpuacct,cpu
            52 31 0:41 / /sys/fs/cgroup/my\\040pids rw - cgroup cgroup rw,nosuid,pids,clone_children
            53 31 0:42 / /sys/fs/cgroup/none rw - cgroup cgroup rw,xattr
            """
        let h = CgroupHierarchies.parse(mountinfo: mountinfo,
                                        procCgroup: ["cpuacct,cpu": "/slice/a", "pids": "/p"])
        XCTAssertEqual(h, [
            CgroupHierarchy(mountPoint: "/sys/fs/cgroup/cpu,cpuacct", mountRoot: "/", controllers: ["cpu", "cpuacct"],
                            isV2: false, ownPath: "/slice/a"),
            CgroupHierarchy(mountPoint: "/sys/fs/cgroup/my pids", mountRoot: "/", controllers: ["pids"], isV2: false,
                            ownPath: "/p"),
        ])
    }

    func testUnescape() {
        XCTAssertEqual(MountInfo.unescape("/a\\040b\\011c\\012d\\134e"), "/a b\tc\nd\\e")
        XCTAssertEqual(MountInfo.unescape("/plain"), "/plain")
        XCTAssertEqual(MountInfo.unescape("/bad\\9"), "/bad\\9")
    }

    func testDirectoryForCgroupPath() {
        let mem = CgroupHierarchy(mountPoint: "/sys/fs/cgroup/memory", mountRoot: "/", controllers: ["memory"],
                                  isV2: false, ownPath: "/")
        XCTAssertEqual(mem.directory(for: "/a/b"), "/sys/fs/cgroup/memory/a/b")
        XCTAssertEqual(mem.directory(for: "/"), "/sys/fs/cgroup/memory")
        XCTAssertEqual(mem.directory(for: "a//b/"), "/sys/fs/cgroup/memory/a/b")
        // Inside a container without a cgroup namespace the mount's root is the container's
        // own cgroup: paths below it are relative to the mount point.
        let nested = CgroupHierarchy(mountPoint: "/sys/fs/cgroup/memory", mountRoot: "/docker/abc",
                                     controllers: ["memory"], isV2: false, ownPath: "/docker/abc")
        XCTAssertEqual(nested.directory(for: "/docker/abc"), "/sys/fs/cgroup/memory")
        XCTAssertEqual(nested.directory(for: "/docker/abc/c1"), "/sys/fs/cgroup/memory/c1")
    }

    func testDirectoryStripsTheMountRootOnlyAtAPathBoundary() {
        // BUG: the mount root is stripped with hasPrefix, so "/docker/abcdef/x" under a mount
        // rooted at "/docker/abc" becomes ".../memory/def/x", another cgroup entirely. Not below
        // the root, the path is joined whole, as runc does for absolute cgroupsPaths.
        let nested = CgroupHierarchy(mountPoint: "/sys/fs/cgroup/memory", mountRoot: "/docker/abc",
                                     controllers: ["memory"], isV2: false, ownPath: "/docker/abc")
        XCTAssertEqual(nested.directory(for: "/docker/abcdef/x"), "/sys/fs/cgroup/memory/docker/abcdef/x")
    }

    func testCgroupFSAbsentPathIsTheIDUnderOwnCgroup() throws {
        let fs = try CgroupFS(hierarchies: hybrid(), cgroupsPath: nil, id: "c1")
        XCTAssertEqual(fs.paths, ["/sys/fs/cgroup/cpu/c1", "/sys/fs/cgroup/cpuset/c1",
                                  "/sys/fs/cgroup/memory/process_api/7afb/c1", "/sys/fs/cgroup/systemd/c1",
                                  "/sys/fs/cgroup/unified/c1"])
        XCTAssertEqual(try CgroupFS(hierarchies: hybrid(), cgroupsPath: "", id: "c1").paths, fs.paths)
    }

    func testSelfJoinWritesTasksOnV1AndSkipsThePlacedV2Directory() throws {
        let fs = try CgroupFS(hierarchies: hybrid(), cgroupsPath: "/c1", id: "ignored")
        XCTAssertEqual(fs.selfJoinFiles(skipping: fs.v2Directory),
                       ["/sys/fs/cgroup/cpu/c1/tasks", "/sys/fs/cgroup/cpuset/c1/tasks", "/sys/fs/cgroup/memory/c1/tasks",
                        "/sys/fs/cgroup/systemd/c1/tasks"])
        // clone3 could not place the process: v2 has no tasks file, its cgroup.procs is used.
        XCTAssertEqual(fs.selfJoinFiles(skipping: nil)?.last, "/sys/fs/cgroup/unified/c1/cgroup.procs")
    }

    func testCgroupFSAbsolutePathIsFromEachRoot() throws {
        let fs = try CgroupFS(hierarchies: hybrid(), cgroupsPath: "/machine/c1/", id: "ignored")
        XCTAssertEqual(fs.paths, ["/sys/fs/cgroup/cpu/machine/c1", "/sys/fs/cgroup/cpuset/machine/c1",
                                  "/sys/fs/cgroup/memory/machine/c1", "/sys/fs/cgroup/systemd/machine/c1",
                                  "/sys/fs/cgroup/unified/machine/c1"])
    }

    func testCgroupFSRelativePathIsUnderOwnCgroup() throws {
        let fs = try CgroupFS(hierarchies: hybrid(), cgroupsPath: "pods/./c1", id: "ignored")
        XCTAssertEqual(fs.paths, ["/sys/fs/cgroup/cpu/pods/c1", "/sys/fs/cgroup/cpuset/pods/c1",
                                  "/sys/fs/cgroup/memory/process_api/7afb/pods/c1", "/sys/fs/cgroup/systemd/pods/c1",
                                  "/sys/fs/cgroup/unified/pods/c1"])
        let v2 = CgroupHierarchies.parse(mountinfo: Self.v2Mountinfo,
                                         procCgroup: CgroupHierarchies.parseProcCgroup(Self.v2ProcCgroup))
        // A session scope has processes and cannot delegate: its parent slice takes the container.
        XCTAssertEqual(try CgroupFS(hierarchies: v2, cgroupsPath: "x", id: "c").paths,
                       ["/sys/fs/cgroup/user.slice/user-1000.slice/x"])
        XCTAssertEqual(try CgroupFS(hierarchies: v2, cgroupsPath: nil, id: "c").paths,
                       ["/sys/fs/cgroup/user.slice/user-1000.slice/c"])
    }

    func testCgroupFSRejectsDotDot() {
        for path in ["..", "../x", "/a/../../etc", "a/..", "/.."] {
            let err = expectError { () throws(RuntimeError) in
                try CgroupFS(hierarchies: self.hybrid(), cgroupsPath: path, id: "c")
            }
            XCTAssertEqual(err?.jsonPath, "linux.cgroupsPath", path)
            XCTAssertEqual(err?.message, "must not contain \"..\"", path)
        }
        // Names that merely contain dots are fine.
        XCTAssertNoThrow(try CgroupFS(hierarchies: hybrid(), cgroupsPath: "/a..b/...", id: "c"))
    }

    func testTrimmingCharacters() {
        XCTAssertEqual(" \n0-3\n".trimmingCharacters(in: " \n"), "0-3")
        XCTAssertEqual("\n\n".trimmingCharacters(in: " \n"), "")
    }

    /// A container running systemd keeps no process in its root cgroup: ps, kill --all and
    /// delete must see the processes in the sub-cgroups it made. Plain directories stand in
    /// for cgroups here (only cgroup.procs is read, only empty directories are removed).
    func testPidsAndRemovalCoverSubCgroups() throws {
        var template = Array("/tmp/swrun-cgtree-XXXXXX".utf8CString)
        let top = String(cString: template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!)! })
        defer { Sys.removeAll(top) }
        let scope = top + "/c.scope"
        try Sys.mkdirAll(scope + "/init.scope")
        try Sys.mkdirAll(scope + "/system.slice/dbus.service")
        try Sys.writeFile(scope + "/cgroup.procs", "")
        try Sys.writeFile(scope + "/init.scope/cgroup.procs", "5\n")
        try Sys.writeFile(scope + "/system.slice/cgroup.procs", "")
        try Sys.writeFile(scope + "/system.slice/dbus.service/cgroup.procs", "7\n8\n")
        XCTAssertEqual(CgroupManagers.pids(paths: [top + "/missing", scope]).sorted(), [5, 7, 8])

        let empty = top + "/gone.scope"
        try Sys.mkdirAll(empty + "/init.scope")
        try Sys.mkdirAll(empty + "/system.slice/a.service")
        try CgroupManagers.removeDirectory(empty)
        XCTAssertFalse(Sys.exists(empty))
        try CgroupManagers.removeDirectory(empty)  // already gone: not an error
    }
}
