import OCIRuntime
import Spec

var store: StateStore { StateStore(root: GlobalOptions.current.stateRoot) }

/// Prints JSON to stdout.
func printOut(_ text: String) {
    print(text)
}

/// The commands, built only when named: a `create` builds one small table, not fifteen.
enum Commands {
    static let names = ["create", "start", "state", "kill", "delete", "run", "list", "exec", "ps",
                        "features", "pause", "resume", "update", "events", "checkpoint", "restore", "spec"]

    static func named(_ name: String) -> Command? {
        switch name {
        case "create": create
        case "start": start
        case "state": state
        case "kill": kill
        case "delete": delete
        case "run": run
        case "list": list
        case "exec": ExecCommand.command
        case "ps": ps
        case "features": features
        case "pause": pause(freeze: true)
        case "resume": pause(freeze: false)
        case "update": UpdateCommand.command
        case "events": EventsCommand.command
        case "checkpoint": CheckpointCommands.checkpoint
        case "restore": CheckpointCommands.restore
        case "spec": spec
        default: nil
        }
    }

    static var create: Command {
        Command("create", "Create a container (its process waits for `start`).",
                options: CreateFlags.options, arguments: ["id"]) { a in
            _ = try ContainerCreate.run(store: store, options: try CreateFlags.options(id: a.arguments[0], a))
            return 0
        }
    }

    static var run: Command {
        Command("run", "Create and start a container; wait for it unless --detach.",
                options: CreateFlags.options + [
                    .flag("--detach", "-d", help: "detach from the container's process"),
                    .flag("--keep", help: "do not delete the container after it exits"),
                    .flag("--no-subreaper", help: "accepted for runc compatibility"),
                ], arguments: ["id"]) { a in
            try ContainerRun.run(store: store, options: try CreateFlags.options(id: a.arguments[0], a),
                                 detach: a.flag("--detach"), keep: a.flag("--keep"))
        }
    }

    static var start: Command {
        Command("start", "Start a created container's process.", arguments: ["id"]) { a in
            try ContainerStart.run(store: store, id: a.arguments[0])
            return 0
        }
    }

    static var state: Command {
        Command("state", "Print a container's state as JSON.", arguments: ["id"]) { a in
            let c = try Container(store: store, id: a.arguments[0])
            printOut(c.record.publicState(status: c.status).serialized(pretty: true))
            return 0
        }
    }

    static var kill: Command {
        Command("kill", "Send a signal (default SIGTERM) to a container's init.",
                options: [.flag("--all", "-a", help: "send the signal to every process in the container")],
                arguments: ["id", "signal"], required: 1) { a in
            try ContainerKill.run(store: store, id: a.arguments[0], signal: try Signals.parse(a.argument(1) ?? "SIGTERM"),
                                  all: a.flag("--all"))
            return 0
        }
    }

    static var delete: Command {
        Command("delete", "Delete a container and everything it holds.",
                options: [.flag("--force", "-f", help: "kill the container first if it is running")],
                arguments: ["id"]) { a in
            try ContainerDelete.run(store: store, id: a.arguments[0], force: a.flag("--force"))
            return 0
        }
    }

    static var list: Command {
        Command("list", "List containers.",
                options: [.value("--format", "-f", as: "format", help: "table or json"),
                          .flag("--quiet", "-q", help: "print only the container ids")]) { a in
            try ContainerList.print(format: a.value("--format") ?? "table", quiet: a.flag("--quiet"))
            return 0
        }
    }

    static var ps: Command {
        Command("ps", "List the processes of a container.",
                options: [.value("--format", "-f", as: "format", help: "table or json")],
                arguments: ["id"], trailing: "ps options (ignored, for runc compatibility)") { a in
            let c = try Container(store: store, id: a.arguments[0])
            let pids = c.processes()
            switch a.value("--format") ?? "table" {
            case "json": printOut(JSONValue.array(pids.map { .int(Int64($0)) }).serialized())
            case "table":
                printOut(Table.render(header: ["PID", "CMD"], rows: pids.map { [String($0), ProcessList.command(of: $0)] }))
            case let f: throw CLIError("invalid format \"\(f)\": use table or json")
            }
            return 0
        }
    }

    static var features: Command {
        Command("features", "Print what this runtime supports (runtime-spec features.md).") { _ in
            printOut(Features.document(version: SwrunVersion.version).serialized(pretty: true))
            return 0
        }
    }

    static func pause(freeze: Bool) -> Command {
        Command(freeze ? "pause" : "resume", freeze ? "Freeze every process of a container." : "Thaw a paused container.",
                arguments: ["id"]) { a in
            try ContainerPause.run(store: store, id: a.arguments[0], freeze: freeze)
            return 0
        }
    }

    static var spec: Command {
        Command("spec", "Write a default config.json into the bundle.",
                options: [.value("--bundle", "-b", as: "bundle", help: "bundle directory"),
                          .flag("--rootless", help: "a config for running without root")]) { a in
            try SpecFile.write(bundle: a.value("--bundle") ?? ".", rootless: a.flag("--rootless"))
            return 0
        }
    }
}

/// The options `create` and `run` share, and the one place that turns them into CreateOptions.
enum CreateFlags {
    static let options: [Option] = [
        .value("--bundle", "-b", as: "bundle", help: "path to the root of the bundle directory"),
        .value("--console-socket", as: "path", help: "unix socket to receive the pty master of a terminal"),
        .value("--pid-file", as: "path", help: "file to write the container init's PID to"),
        .flag("--no-pivot", help: "do not use pivot_root (for a rootfs on ramfs)"),
        .flag("--no-new-keyring", help: "do not create a new session keyring"),
        .value("--preserve-fds", as: "n", help: "pass N additional file descriptors (from 3) to the container"),
    ]

    static func options(id: String, _ a: ParsedCommand) throws -> CreateOptions {
        var o = CreateOptions(id: id, bundle: a.value("--bundle") ?? ".")
        o.pidFile = a.value("--pid-file")
        o.consoleSocket = a.value("--console-socket")
        o.noPivot = a.flag("--no-pivot")
        o.noNewKeyring = a.flag("--no-new-keyring")
        o.preserveFds = try a.number("--preserve-fds", Int.self) ?? 0
        o.systemdCgroup = GlobalOptions.current.systemdCgroup
        o.rootless = GlobalOptions.current.isRootless
        return o
    }
}

enum ContainerList {
    static func print(format: String, quiet: Bool) throws {
        let s = store
        var rows: [(ContainerRecord, ContainerStatus)] = []
        for id in s.ids() {
            do {
                let c = try Container(store: s, id: id)
                var r = c.record
                r.owner = c.owner
                rows.append((r, c.status))
            } catch {
                // As runc: one unreadable record is reported, the others are still listed.
                Log.warn("cannot load container \"\(id)\": \(error)")
            }
        }
        if quiet {
            for (r, _) in rows { printOut(r.id) }
            return
        }
        switch format {
        case "json":
            // runc prints Go's nil slice, `null`, when there is no container.
            printOut(rows.isEmpty ? "null" : JSONValue.array(rows.map { $0.0.publicState(status: $0.1) }).serialized())
        case "table":
            printOut(Table.render(header: ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"],
                                  rows: rows.map { r, st in
                                      [r.id, String(st == .stopped ? 0 : r.pid), st.rawValue, r.bundle, r.created, r.owner]
                                  }))
        default:
            throw CLIError("invalid format \"\(format)\": use table or json")
        }
    }
}

/// Columns padded like Go's tabwriter with runc's settings (min width 12, padding 3).
enum Table {
    static func render(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        var widths = [Int](repeating: 0, count: header.count)
        for r in all { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        return all.map { r in
            r.enumerated().map { i, c in
                i == r.count - 1 ? c : c + String(repeating: " ", count: max(12, widths[i] + 3) - c.count)
            }.joined()
        }.joined(separator: "\n")
    }
}
