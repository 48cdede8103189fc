#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import OCIRuntime
import Spec

struct Swrun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swrun",
        abstract: "An OCI container runtime (runc-compatible).",
        discussion: """
        Global options (before the command): --root DIR (default /run/swrun; rootless:
        $XDG_RUNTIME_DIR/swrun), --log FILE, --log-format text|json, --debug, --systemd-cgroup,
        --rootless true|false|auto.
        """,
        version: SwrunVersion.text,
        subcommands: [Create.self, Start.self, State.self, Kill.self, Delete.self, Run.self, List.self, Exec.self, Ps.self, FeaturesCommand.self, Pause.self, Resume.self, Update.self, Events.self, Checkpoint.self, Restore.self,
                      SpecCommand.self])
}

enum SwrunVersion {
    static let version = "0.1.0"
    static let specVersion = "1.2.1"
    static var text: String { "swrun version \(version)\nspec: \(specVersion)" }
}

func fail(_ message: String) -> Never {
    Log.error(message)
    exit(1)
}

let argv = Array(CommandLine.arguments.dropFirst())
let globals: GlobalOptions
let rest: [String]
do {
    (globals, rest) = try GlobalOptions.extract(argv)
} catch {
    fail("\(error)")
}
GlobalOptions.current = globals
Log.debugEnabled = globals.debug
do {
    try Log.open(path: globals.log, format: globals.logFormat)
} catch {
    fail(error.description)
}
if rest.first == "--version" || rest.first == "-v" || (rest.isEmpty && argv.contains("--version")) {
    print(SwrunVersion.text)
    exit(0)
}
do {
    if let status = try FastPath.run(rest) { exit(status) }
    var command = try Swrun.parseAsRoot(rest)
    try command.run()
    exit(0)
} catch let e as RuntimeError {
    fail(e.description)
} catch let e as CLIError {
    fail(e.description)
} catch let e as ExitCode {
    exit(e.rawValue)
} catch {
    let code = Swrun.exitCode(for: error)
    if code == .success {
        print(Swrun.fullMessage(for: error))
        exit(0)
    }
    fail(Swrun.message(for: error))
}
