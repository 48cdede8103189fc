#if canImport(Glibc)
import Glibc
#endif
import OCIRuntime
import Spec

struct ExecCommand {
    static var command: Command {
        Command("exec", "Run a new process in a running container.", options: [
            .value("--process", "-p", as: "file", help: "a JSON file with the process (runtime-spec `process`)"),
            .flag("--tty", "-t", help: "allocate a pseudo-TTY"),
            .value("--console-socket", as: "path", help: "unix socket to receive the pty master"),
            .flag("--detach", "-d", help: "detach from the process"),
            .value("--pid-file", as: "path", help: "file to write the process's PID to"),
            .value("--env", "-e", as: "K=V", help: "set an environment variable (repeatable)"),
            .value("--cwd", as: "dir", help: "working directory in the container"),
            .value("--user", "-u", as: "uid[:gid]", help: "UID[:GID]"),
            .value("--additional-gids", "-g", as: "gid", help: "additional group id (repeatable)"),
            .value("--cap", "-c", as: "cap", help: "add a capability (repeatable)"),
            .flag("--no-new-privs", help: "set no_new_privs"),
            .value("--preserve-fds", as: "n", help: "pass N additional file descriptors"),
            .value("--cgroup", as: "[controller[,controller]:]path", help: "run in a sub-cgroup of the container's (repeatable)"),
            .value("--process-label", as: "label", help: "SELinux label of the process"),
            .value("--apparmor", as: "profile", help: "AppArmor profile of the process"),
        ], arguments: ["id"], trailing: "command and arguments") { a in
            try ExecCommand(a).run()
        }
    }

    let a: ParsedCommand
    let id: String
    let args: [String]
    let additionalGids: [UInt32]
    let preserveFds: Int

    /// Values that are not numbers fail here, exit 1 as any usage error, before the 255 of
    /// an exec that failed.
    init(_ a: ParsedCommand) throws {
        self.a = a
        id = a.arguments[0]
        args = a.trailing
        additionalGids = try a.numbers("--additional-gids", UInt32.self)
        preserveFds = try a.number("--preserve-fds", Int.self) ?? 0
    }

    /// As runc: any failure before the process runs exits 255 ("exec failed: ..."), so an
    /// engine tells it from the exit status of the process itself.
    func run() -> Int32 {
        do {
            return try execute()
        } catch let e as RuntimeError {
            Log.error("exec failed: \(e.description)")
        } catch {
            Log.error("exec failed: \(error)")
        }
        return 255
    }

    func execute() throws -> Int32 {
        let c = try Container(store: store, id: id)
        var p: Process
        if let file = a.value("--process") {
            p = try Process.parse(try HostFiles.read(file))
        } else {
            guard !args.isEmpty else { throw CLIError("exec needs a command, or --process FILE") }
            p = try processFromFlags(base: try ContainerExec.containerSpec(c).process)
        }
        if let v = a.value("--apparmor") { p.apparmorProfile = v }
        if let v = a.value("--process-label") { p.selinuxLabel = v }
        var o = ExecOptions(id: id, process: p)
        o.detach = a.flag("--detach")
        o.pidFile = a.value("--pid-file")
        o.consoleSocket = a.value("--console-socket")
        o.preserveFds = preserveFds
        o.subCgroups = a.all("--cgroup")
        return try ContainerExec.run(store: store, options: o)
    }

    /// runc's rules: the container's process is the base; flags override or add to it.
    func processFromFlags(base: Process?) throws -> Process {
        var p = base ?? Process(cwd: "/")
        p.args = args.first == "--" ? Array(args.dropFirst()) : args
        p.terminal = a.flag("--tty")
        p.env = (p.env ?? []) + a.all("--env")
        if let cwd = a.value("--cwd") { p.cwd = cwd }
        if let user = a.value("--user") {
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
        let cap = a.all("--cap")
        if !cap.isEmpty {
            var caps = p.capabilities ?? LinuxCapabilities()
            caps.bounding = (caps.bounding ?? []) + cap
            caps.effective = (caps.effective ?? []) + cap
            caps.permitted = (caps.permitted ?? []) + cap
            p.capabilities = caps
        }
        if a.flag("--no-new-privs") { p.noNewPrivileges = true }
        return p
    }
}
