import OCIRuntime
import Spec

/// The lifecycle commands engines call thousands of times a day, parsed by hand: building
/// ArgumentParser's command tree costs about a fifth of a `run` (runtime type lookups in a
/// large static binary, measured with perf in bench/). Anything unusual (help, a flag this
/// does not know, a missing argument) returns nil and goes through ArgumentParser, which
/// then gives the usual messages.
enum FastPath {
    /// nil: not handled here. Otherwise the exit status.
    static func run(_ args: [String]) throws -> Int32? {
        guard let command = args.first else { return nil }
        var positional: [String] = []
        // Arrays, not Sets: each generic type a process first touches costs a runtime metadata
        // lookup, and these lists are a handful of strings.
        var flags: [String] = []
        var values = StringTable()  // not a [String: String]: see StringTable
        let valued = ["--bundle", "-b", "--pid-file", "--console-socket", "--preserve-fds"]
        let boolean = ["--force", "-f", "--all", "-a", "--detach", "-d", "--no-pivot",
                       "--no-new-keyring", "--keep", "--no-subreaper"]
        var i = 1
        while i < args.count {
            let a = args[i]
            if a.hasPrefix("-") && a.count > 1 {
                var name = a, value: String?
                if let eq = a.firstIndex(of: "=") { name = String(a[..<eq]); value = String(a[a.index(after: eq)...]) }
                if valued.contains(name) {
                    if value == nil { i += 1; guard i < args.count else { return nil }; value = args[i] }
                    values[name == "-b" ? "--bundle" : name] = value
                } else if boolean.contains(name) && value == nil {
                    let long = name == "-f" ? "--force" : name == "-a" ? "--all" : name == "-d" ? "--detach" : name
                    if !flags.contains(long) { flags.append(long) }
                } else {
                    return nil
                }
            } else {
                positional.append(a)
            }
            i += 1
        }
        let s = store
        switch command {
        case "start" where positional.count == 1 && flags.isEmpty && values.isEmpty:
            try ContainerStart.run(store: s, id: positional[0])
        case "state" where positional.count == 1 && flags.isEmpty && values.isEmpty:
            let c = try Container(store: s, id: positional[0])
            printOut(c.record.publicState(status: c.status).serialized(pretty: true))
        case "delete" where positional.count == 1 && flags.allSatisfy { $0 == "--force" } && values.isEmpty:
            try ContainerDelete.run(store: s, id: positional[0], force: flags.contains("--force"))
        case "kill" where (1...2).contains(positional.count) && flags.allSatisfy { $0 == "--all" } && values.isEmpty:
            try ContainerKill.run(store: s, id: positional[0], signal: try Signals.parse(positional.count == 2 ? positional[1] : "SIGTERM"),
                                  all: flags.contains("--all"))
        case "create" where positional.count == 1 && flags.allSatisfy(["--no-pivot", "--no-new-keyring"].contains):
            guard let o = createOptions(id: positional[0], flags: flags, values: values) else { return nil }
            _ = try ContainerCreate.run(store: s, options: o)
        case "run" where positional.count == 1 && flags.allSatisfy(["--no-pivot", "--no-new-keyring", "--detach", "--keep", "--no-subreaper"].contains):
            guard let o = createOptions(id: positional[0], flags: flags, values: values) else { return nil }
            return try ContainerRun.run(store: s, options: o, detach: flags.contains("--detach"), keep: flags.contains("--keep"))
        default:
            return nil
        }
        return 0
    }

    static func createOptions(id: String, flags: [String], values: StringTable) -> CreateOptions? {
        var preserve = 0
        if let n = values["--preserve-fds"] {
            guard let v = Int(n), v >= 0 else { return nil }
            preserve = v
        }
        return CreateFlags.options(id: id, bundle: values["--bundle"] ?? ".", pidFile: values["--pid-file"],
                                   consoleSocket: values["--console-socket"], noPivot: flags.contains("--no-pivot"),
                                   noNewKeyring: flags.contains("--no-new-keyring"), preserveFds: preserve)
    }
}
