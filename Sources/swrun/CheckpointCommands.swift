import ArgumentParser
import OCIRuntime
import Spec

/// The flags `checkpoint` and `restore` share, spelled as runc spells them.
struct CriuFlags: ParsableArguments {
    @Option(name: .customLong("image-path"), help: "path for the criu image files (default: ./checkpoint)")
    var imagePath: String?
    @Option(name: .customLong("work-path"), help: "path for criu's work files and logs (default: the image path)")
    var workPath: String?
    @Flag(name: .customLong("tcp-established"), help: "allow open tcp connections") var tcpEstablished = false
    @Flag(name: .customLong("ext-unix-sk"), help: "allow external unix sockets") var extUnixSk = false
    @Flag(name: .customLong("shell-job"), help: "allow shell jobs (a process with a terminal)") var shellJob = false
    @Flag(name: .customLong("file-locks"), help: "handle file locks") var fileLocks = false
    @Option(name: .customLong("manage-cgroups-mode"), help: "cgroups mode: soft|full|strict|ignore (default: soft)")
    var manageCgroupsMode: String?
    @Option(name: .customLong("empty-ns"), help: "create a namespace, but do not restore its properties (network)")
    var emptyNs: [String] = []
    @Flag(name: .customLong("auto-dedup"), help: "enable auto deduplication of memory images") var autoDedup = false
    @Flag(name: .customLong("lazy-pages"), help: "use userfaultfd to lazily restore memory pages") var lazyPages = false

    func common() -> CriuCommonOptions {
        var c = CriuCommonOptions(imagePath: imagePath ?? "checkpoint")
        c.workPath = workPath
        c.tcpEstablished = tcpEstablished
        c.extUnixSk = extUnixSk
        c.shellJob = shellJob
        c.fileLocks = fileLocks
        // runc: an empty value is the default mode.
        c.manageCgroupsMode = manageCgroupsMode.flatMap { $0.isEmpty ? nil : $0 }
        c.emptyNs = emptyNs
        c.autoDedup = autoDedup
        c.lazyPages = lazyPages
        c.criuProgram = GlobalOptions.current.criu
        return c
    }
}

struct Checkpoint: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Checkpoint a running container with CRIU (it is stopped afterwards unless --leave-running).")
    @OptionGroup var criu: CriuFlags
    @Option(name: .customLong("parent-path"), help: "path of the previous (pre-)dump, relative to --image-path")
    var parentPath: String?
    @Flag(name: .customLong("leave-running"), help: "leave the container running after the checkpoint") var leaveRunning = false
    @Flag(name: .customLong("pre-dump"), help: "dump the memory only and leave the container running") var preDump = false
    @Flag(name: .customLong("tcp-skip-in-flight"), help: "skip in-flight tcp connections") var tcpSkipInFlight = false
    @Flag(name: .customLong("link-remap"), help: "allow linking unlinked files back") var linkRemap = false
    @Option(name: .customLong("page-server"), help: "ADDRESS:PORT of a criu page server") var pageServer: String?
    @Option(name: .customLong("status-fd"), help: "criu writes \\0 to this fd once lazy pages are served") var statusFd: Int32 = -1
    @Argument(help: "container id") var id: String

    func run() throws {
        var o = CheckpointOptions(common: criu.common())
        o.parentPath = parentPath.flatMap { $0.isEmpty ? nil : $0 }
        o.leaveRunning = leaveRunning
        o.preDump = preDump
        o.tcpSkipInFlight = tcpSkipInFlight
        o.linkRemap = linkRemap
        if let ps = pageServer, !ps.isEmpty {
            guard let colon = ps.lastIndex(of: ":"), colon != ps.startIndex, Int(ps[ps.index(after: colon)...]) != nil else {
                throw CLIError("Use --page-server ADDRESS:PORT to specify page server")
            }
            o.pageServer = ps
        }
        o.statusFd = statusFd >= 0 ? statusFd : nil
        try ContainerCheckpoint.run(store: store, id: id, options: o)
    }
}

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Restore a container from a checkpoint made with CRIU.")
    @OptionGroup var criu: CriuFlags
    @Option(name: [.customShort("b"), .long], help: "path to the root of the bundle directory") var bundle: String = "."
    @Flag(name: [.customShort("d"), .long], help: "detach from the container's process") var detach = false
    @Option(name: .customLong("pid-file"), help: "file to write the restored init's PID to") var pidFile: String?
    @Option(name: .customLong("console-socket"), help: "unix socket to receive the pty master of a terminal")
    var consoleSocket: String?
    @Flag(name: .customLong("no-pivot"), help: "accepted for runc compatibility (CRIU restores the mount namespace)")
    var noPivot = false
    @Flag(name: .customLong("no-subreaper"), help: "accepted for runc compatibility") var noSubreaper = false
    @Option(name: .customLong("lsm-profile"), help: "LSM profile for the restored process, TYPE:NAME") var lsmProfile: String?
    @Option(name: .customLong("lsm-mount-context"), help: "LSM mount context of the restored mounts") var lsmMountContext: String?
    @Argument(help: "container id") var id: String

    func run() throws {
        var o = RestoreOptions(common: criu.common(), id: id, bundle: bundle)
        o.detach = detach
        o.pidFile = pidFile
        o.consoleSocket = consoleSocket
        o.noPivot = noPivot
        o.lsmProfile = lsmProfile.flatMap { $0.isEmpty ? nil : $0 }
        o.lsmMountContext = lsmMountContext.flatMap { $0.isEmpty ? nil : $0 }
        o.systemdCgroup = GlobalOptions.current.systemdCgroup
        o.rootless = GlobalOptions.current.isRootless
        let status = try ContainerRestore.run(store: store, options: o)
        if status != 0 { throw ExitCode(status) }
    }
}
