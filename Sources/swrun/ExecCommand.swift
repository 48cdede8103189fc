#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import OCIRuntime
import Spec

struct Exec: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a new process in a running container.")
    @Option(name: [.customShort("p"), .long], help: "a JSON file with the process (runtime-spec `process`)")
    var process: String?
    @Flag(name: [.customShort("t"), .long], help: "allocate a pseudo-TTY") var tty = false
    @Option(name: .customLong("console-socket"), help: "unix socket to receive the pty master")
    var consoleSocket: String?
    @Flag(name: [.customShort("d"), .long], help: "detach from the process") var detach = false
    @Option(name: .customLong("pid-file"), help: "file to write the process's PID to") var pidFile: String?
    @Option(name: [.customShort("e"), .long], help: "set an environment variable (K=V)") var env: [String] = []
    @Option(name: .long, help: "working directory in the container") var cwd: String?
    @Option(name: [.customShort("u"), .long], help: "UID[:GID]") var user: String?
    @Option(name: [.customShort("g"), .customLong("additional-gids")], help: "additional group id")
    var additionalGids: [UInt32] = []
    @Option(name: [.customShort("c"), .long], help: "add a capability") var cap: [String] = []
    @Flag(name: .customLong("no-new-privs"), help: "set no_new_privs") var noNewPrivs = false
    @Option(name: .customLong("preserve-fds"), help: "pass N additional file descriptors") var preserveFds: Int = 0
    @Option(name: .customLong("cgroup"), help: "run in a sub-cgroup of the container's: [CONTROLLER[,CONTROLLER]:]PATH (repeatable)")
    var cgroup: [String] = []
    @Option(name: .customLong("process-label"), help: "SELinux label of the process")
    var processLabel: String?
    @Option(name: .customLong("apparmor"), help: "AppArmor profile of the process")
    var apparmor: String?
    @Argument(help: "container id") var id: String
    @Argument(parsing: .captureForPassthrough, help: "command and arguments") var args: [String] = []

    /// As runc: any failure before the process runs exits 255 ("exec failed: ..."), so an
    /// engine tells it from the exit status of the process itself.
    func run() throws {
        do {
            try execute()
        } catch let e as ExitCode {
            throw e
        } catch let e as RuntimeError {
            Log.error("exec failed: \(e.description)")
            throw ExitCode(255)
        } catch {
            Log.error("exec failed: \(error)")
            throw ExitCode(255)
        }
    }

    func execute() throws {
        let c = try Container(store: store, id: id)
        var p: Process
        if let file = process {
            p = try Process.parse(try HostFiles.read(file))
        } else {
            guard !args.isEmpty else { throw CLIError("exec needs a command, or --process FILE") }
            p = try processFromFlags(base: try ContainerExec.containerSpec(c).process)
        }
        if let apparmor { p.apparmorProfile = apparmor }
        if let processLabel { p.selinuxLabel = processLabel }
        var o = ExecOptions(id: id, process: p)
        o.detach = detach
        o.pidFile = pidFile
        o.consoleSocket = consoleSocket
        o.preserveFds = preserveFds
        o.subCgroups = cgroup
        let status = try ContainerExec.run(store: store, options: o)
        if status != 0 { throw ExitCode(status) }
    }

    /// runc's rules: the container's process is the base; flags override or add to it.
    func processFromFlags(base: Process?) throws -> Process {
        var p = base ?? Process(cwd: "/")
        p.args = args.first == "--" ? Array(args.dropFirst()) : args
        p.terminal = tty
        p.env = (p.env ?? []) + env
        if let cwd { p.cwd = cwd }
        if let user {
            let parts = user.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let gidText = parts.count > 1 ? parts[1] : "0"
            guard let first = parts.first, let uid = UInt32(first), let gid = UInt32(gidText) else {
                throw CLIError("invalid --user \"\(user)\": expected UID[:GID] as numbers")
            }
            p.user = User(uid: uid, gid: gid)
        }
        if !additionalGids.isEmpty {
            var u = p.user ?? User(uid: 0, gid: 0)
            u.additionalGids = additionalGids
            p.user = u
        }
        if !cap.isEmpty {
            var caps = p.capabilities ?? LinuxCapabilities()
            caps.bounding = (caps.bounding ?? []) + cap
            caps.effective = (caps.effective ?? []) + cap
            caps.permitted = (caps.permitted ?? []) + cap
            p.capabilities = caps
        }
        if noNewPrivs { p.noNewPrivileges = true }
        return p
    }
}

struct Ps: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the processes of a container.")
    @Option(name: [.customShort("f"), .long], help: "table or json") var format: String = "table"
    @Argument(help: "container id") var id: String
    @Argument(parsing: .captureForPassthrough, help: "ignored ps options, for runc compatibility")
    var psArgs: [String] = []

    func run() throws {
        let c = try Container(store: store, id: id)
        let pids = c.processes()
        switch format {
        case "json": printOut(JSONValue.array(pids.map { .int(Int64($0)) }).serialized())
        case "table":
            printOut(Table.render(header: ["PID", "CMD"], rows: pids.map { [String($0), ProcessList.command(of: $0)] }))
        default: throw CLIError("invalid format \"\(format)\": use table or json")
        }
    }
}
