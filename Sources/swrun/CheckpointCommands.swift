import OCIRuntime
import Spec

/// `checkpoint` and `restore`, with runc's flag spellings.
enum CheckpointCommands {
    /// The flags both share.
    static let criuOptions: [Option] = [
        .value("--image-path", as: "path", help: "path for the criu image files (default: ./checkpoint)"),
        .value("--work-path", as: "path", help: "path for criu's work files and logs (default: the image path)"),
        .flag("--tcp-established", help: "allow open tcp connections"),
        .flag("--ext-unix-sk", help: "allow external unix sockets"),
        .flag("--shell-job", help: "allow shell jobs (a process with a terminal)"),
        .flag("--file-locks", help: "handle file locks"),
        .value("--manage-cgroups-mode", as: "mode", help: "cgroups mode: soft|full|strict|ignore (default: soft)"),
        .value("--empty-ns", as: "ns", help: "create a namespace, but do not restore its properties (repeatable)"),
        .flag("--auto-dedup", help: "enable auto deduplication of memory images"),
        .flag("--lazy-pages", help: "use userfaultfd to lazily restore memory pages"),
    ]

    static func common(_ a: ParsedCommand) -> CriuCommonOptions {
        var c = CriuCommonOptions(imagePath: a.value("--image-path") ?? "checkpoint")
        c.workPath = a.value("--work-path")
        c.tcpEstablished = a.flag("--tcp-established")
        c.extUnixSk = a.flag("--ext-unix-sk")
        c.shellJob = a.flag("--shell-job")
        c.fileLocks = a.flag("--file-locks")
        // runc: an empty value is the default mode.
        c.manageCgroupsMode = a.value("--manage-cgroups-mode").flatMap { $0.isEmpty ? nil : $0 }
        c.emptyNs = a.all("--empty-ns")
        c.autoDedup = a.flag("--auto-dedup")
        c.lazyPages = a.flag("--lazy-pages")
        c.criuProgram = GlobalOptions.current.criu
        return c
    }

    static var checkpoint: Command {
        Command("checkpoint", "Checkpoint a running container with CRIU (it is stopped afterwards unless --leave-running).",
                options: criuOptions + [
                    .value("--parent-path", as: "path", help: "path of the previous (pre-)dump, relative to --image-path"),
                    .flag("--leave-running", help: "leave the container running after the checkpoint"),
                    .flag("--pre-dump", help: "dump the memory only and leave the container running"),
                    .flag("--tcp-skip-in-flight", help: "skip in-flight tcp connections"),
                    .flag("--link-remap", help: "allow linking unlinked files back"),
                    .value("--page-server", as: "address:port", help: "ADDRESS:PORT of a criu page server"),
                    .value("--status-fd", as: "fd", help: "criu writes \\0 to this fd once lazy pages are served"),
                ], arguments: ["id"]) { a in
            var o = CheckpointOptions(common: common(a))
            o.parentPath = a.value("--parent-path").flatMap { $0.isEmpty ? nil : $0 }
            o.leaveRunning = a.flag("--leave-running")
            o.preDump = a.flag("--pre-dump")
            o.tcpSkipInFlight = a.flag("--tcp-skip-in-flight")
            o.linkRemap = a.flag("--link-remap")
            if let ps = a.value("--page-server"), !ps.isEmpty {
                guard let colon = ps.lastIndex(of: ":"), colon != ps.startIndex, Int(ps[ps.index(after: colon)...]) != nil else {
                    throw CLIError("Use --page-server ADDRESS:PORT to specify page server")
                }
                o.pageServer = ps
            }
            if let fd = try a.number("--status-fd", Int32.self), fd >= 0 { o.statusFd = fd }
            try ContainerCheckpoint.run(store: store, id: a.arguments[0], options: o)
            return 0
        }
    }

    static var restore: Command {
        Command("restore", "Restore a container from a checkpoint made with CRIU.",
                options: criuOptions + [
                    .value("--bundle", "-b", as: "dir", help: "path to the root of the bundle directory"),
                    .flag("--detach", "-d", help: "detach from the container's process"),
                    .value("--pid-file", as: "path", help: "file to write the restored init's PID to"),
                    .value("--console-socket", as: "path", help: "unix socket to receive the pty master of a terminal"),
                    .flag("--no-pivot", help: "accepted for runc compatibility (CRIU restores the mount namespace)"),
                    .flag("--no-subreaper", help: "accepted for runc compatibility"),
                    .value("--lsm-profile", as: "type:name", help: "LSM profile for the restored process, TYPE:NAME"),
                    .value("--lsm-mount-context", as: "context", help: "LSM mount context of the restored mounts"),
                ], arguments: ["id"]) { a in
            var o = RestoreOptions(common: common(a), id: a.arguments[0], bundle: a.value("--bundle") ?? ".")
            o.detach = a.flag("--detach")
            o.pidFile = a.value("--pid-file")
            o.consoleSocket = a.value("--console-socket")
            o.noPivot = a.flag("--no-pivot")
            o.lsmProfile = a.value("--lsm-profile").flatMap { $0.isEmpty ? nil : $0 }
            o.lsmMountContext = a.value("--lsm-mount-context").flatMap { $0.isEmpty ? nil : $0 }
            o.systemdCgroup = GlobalOptions.current.systemdCgroup
            o.rootless = GlobalOptions.current.isRootless
            return try ContainerRestore.run(store: store, options: o)
        }
    }
}
