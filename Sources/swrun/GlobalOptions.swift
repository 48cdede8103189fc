import OCIRuntime

/// runc's global flags come before the subcommand (`swrun --root R create ...`). They are
/// taken off argv here, so every subcommand sees them and CommandLineParser parses the rest.
struct GlobalOptions {
    var root: String?
    var log: String?
    var logFormat: Log.Format = .text
    var debug = false
    var systemdCgroup = false
    var rootless: String?
    /// runc's `--criu PATH`: the criu binary checkpoint and restore run (default: criu on PATH).
    var criu: String?

    nonisolated(unsafe) static var current = GlobalOptions()

    /// Resolved when asked (create, or no --root): `auto` reads /proc/self/uid_map as root.
    /// The value itself was checked at start-up.
    var isRootless: Bool { (try? Rootless.resolve(rootless)) ?? false }

    var stateRoot: String { root ?? Rootless.defaultStateRoot() }

    /// Long flags runc (urfave/cli) also accepts with one dash; engines use both spellings.
    static let singleDashLongs: Set<String> = [
        "root", "log", "log-format", "debug", "systemd-cgroup", "rootless", "criu", "bundle", "pid-file",
        "console-socket", "no-pivot", "no-new-keyring", "preserve-fds", "detach", "force", "all", "format",
        "quiet", "process", "tty", "cwd", "env", "user", "cap", "no-new-privs", "keep", "no-subreaper",
        "stats", "interval", "resources", "help", "version",
        // checkpoint / restore
        "image-path", "work-path", "parent-path", "leave-running", "tcp-established", "tcp-skip-in-flight",
        "link-remap", "ext-unix-sk", "shell-job", "lazy-pages", "status-fd", "page-server", "file-locks",
        "pre-dump", "manage-cgroups-mode", "empty-ns", "auto-dedup", "lsm-profile", "lsm-mount-context",
    ]

    static func normalize(_ arg: String) -> String {
        guard arg.hasPrefix("-"), !arg.hasPrefix("--"), arg.count > 2 else { return arg }
        let body = arg.dropFirst()
        let name = body.split(separator: "=", maxSplits: 1).first.map(String.init) ?? String(body)
        return singleDashLongs.contains(name) ? "-" + arg : arg
    }

    /// Splits argv into global options and the subcommand's arguments.
    static func extract(_ argv: [String]) throws -> (GlobalOptions, [String]) {
        var g = GlobalOptions()
        var i = 0
        let args = argv.map(normalize)
        func value(_ flag: String) throws -> String {
            if let eq = args[i].firstIndex(of: "=") { return String(args[i][args[i].index(after: eq)...]) }
            i += 1
            guard i < args.count else { throw CLIError("flag needs an argument: \(flag)") }
            return args[i]
        }
        while i < args.count {
            let a = args[i]
            let name = a.firstIndex(of: "=").map { String(a[..<$0]) } ?? a
            switch name {
            case "--root": g.root = try value(name)
            case "--log": g.log = try value(name)
            case "--log-format":
                let v = try value(name)
                guard let f = Log.Format(rawValue: v) else { throw CLIError("invalid log format \"\(v)\": use text or json") }
                g.logFormat = f
            case "--debug": g.debug = true
            case "--systemd-cgroup": g.systemdCgroup = true
            case "--rootless":
                g.rootless = try value(name)
                _ = try Rootless.resolve(g.rootless)
            case "--criu": g.criu = try value(name)
            default:
                return (g, Array(args[i...]))
            }
            i += 1
        }
        return (g, [])
    }
}

struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
