import ArgumentParser
import OCIRuntime
import Spec

var store: StateStore { StateStore(root: GlobalOptions.current.stateRoot) }

/// Prints JSON to stdout.
func printOut(_ text: String) {
    print(text)
}

struct CreateFlags: ParsableArguments {
    @Option(name: [.customShort("b"), .long], help: "path to the root of the bundle directory")
    var bundle: String = "."
    @Option(name: .customLong("console-socket"), help: "unix socket to receive the pty master of a terminal")
    var consoleSocket: String?
    @Option(name: .customLong("pid-file"), help: "file to write the container init's PID to")
    var pidFile: String?
    @Flag(name: .customLong("no-pivot"), help: "do not use pivot_root (for a rootfs on ramfs)")
    var noPivot = false
    @Flag(name: .customLong("no-new-keyring"), help: "do not create a new session keyring")
    var noNewKeyring = false
    @Option(name: .customLong("preserve-fds"), help: "pass N additional file descriptors (from 3) to the container")
    var preserveFds: Int = 0

    func options(id: String) -> CreateOptions {
        CreateFlags.options(id: id, bundle: bundle, pidFile: pidFile, consoleSocket: consoleSocket,
                            noPivot: noPivot, noNewKeyring: noNewKeyring, preserveFds: preserveFds)
    }

    /// One place that turns create/run flags into options, for ArgumentParser and FastPath.
    static func options(id: String, bundle: String, pidFile: String?, consoleSocket: String?,
                        noPivot: Bool, noNewKeyring: Bool, preserveFds: Int) -> CreateOptions {
        var o = CreateOptions(id: id, bundle: bundle)
        o.pidFile = pidFile
        o.consoleSocket = consoleSocket
        o.noPivot = noPivot
        o.noNewKeyring = noNewKeyring
        o.preserveFds = preserveFds
        o.systemdCgroup = GlobalOptions.current.systemdCgroup
        o.rootless = GlobalOptions.current.isRootless
        return o
    }
}

struct Create: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a container (its process waits for `start`).")
    @OptionGroup var flags: CreateFlags
    @Argument(help: "container id") var id: String

    func run() throws {
        _ = try ContainerCreate.run(store: store, options: flags.options(id: id))
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create and start a container; wait for it unless --detach.")
    @OptionGroup var flags: CreateFlags
    @Flag(name: [.customShort("d"), .long], help: "detach from the container's process")
    var detach = false
    @Flag(name: .long, help: "do not delete the container after it exits")
    var keep = false
    @Flag(name: .customLong("no-subreaper"), help: "accepted for runc compatibility")
    var noSubreaper = false
    @Argument(help: "container id") var id: String

    func run() throws {
        let status = try ContainerRun.run(store: store, options: flags.options(id: id), detach: detach, keep: keep)
        if status != 0 { throw ExitCode(status) }
    }
}

struct Start: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start a created container's process.")
    @Argument(help: "container id") var id: String
    func run() throws { try ContainerStart.run(store: store, id: id) }
}

struct State: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a container's state as JSON.")
    @Argument(help: "container id") var id: String
    func run() throws {
        let c = try Container(store: store, id: id)
        printOut(c.record.publicState(status: c.status).serialized(pretty: true))
    }
}

struct Kill: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send a signal (default SIGTERM) to a container's init.")
    @Flag(name: [.customShort("a"), .long], help: "send the signal to every process in the container")
    var all = false
    @Argument(help: "container id") var id: String
    @Argument(help: "signal name or number") var signal: String = "SIGTERM"
    func run() throws {
        try ContainerKill.run(store: store, id: id, signal: try Signals.parse(signal), all: all)
    }
}

struct Delete: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Delete a container and everything it holds.")
    @Flag(name: [.customShort("f"), .long], help: "kill the container first if it is running")
    var force = false
    @Argument(help: "container id") var id: String
    func run() throws { try ContainerDelete.run(store: store, id: id, force: force) }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List containers.")
    @Option(name: [.customShort("f"), .long], help: "table or json") var format: String = "table"
    @Flag(name: [.customShort("q"), .long], help: "print only the container ids") var quiet = false
    func run() throws {
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

struct SpecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "spec", abstract: "Write a default config.json into the bundle.")
    @Option(name: [.customShort("b"), .long], help: "bundle directory") var bundle: String = "."
    @Flag(name: .long, help: "a config for running without root") var rootless = false
    func run() throws { try SpecFile.write(bundle: bundle, rootless: rootless) }
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

struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "features", abstract: "Print what this runtime supports (runtime-spec features.md).")
    func run() throws { printOut(Features.document(version: SwrunVersion.version).serialized(pretty: true)) }
}

struct Pause: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Freeze every process of a container.")
    @Argument(help: "container id") var id: String
    func run() throws { try ContainerPause.run(store: store, id: id, freeze: true) }
}

struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Thaw a paused container.")
    @Argument(help: "container id") var id: String
    func run() throws { try ContainerPause.run(store: store, id: id, freeze: false) }
}
