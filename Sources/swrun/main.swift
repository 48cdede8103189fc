#if canImport(Glibc)
import Glibc
#endif
import OCIRuntime
import Spec

enum SwrunHelp {
    static var text: String {
        let rows = Commands.names.compactMap(Commands.named).map { c in
            "  " + c.name + String(repeating: " ", count: max(1, 12 - c.name.count)) + c.abstract
        }
        return ([
            "swrun: an OCI container runtime (runc-compatible).",
            "",
            "Usage: swrun [global options] COMMAND [options] [arguments]",
            "",
            "Global options (before the command): --root DIR (default /run/swrun; rootless:",
            "$XDG_RUNTIME_DIR/swrun), --log FILE, --log-format text|json, --debug, --systemd-cgroup,",
            "--rootless true|false|auto, --version.",
            "",
            "Commands:",
        ] + rows + ["", "`swrun COMMAND --help` describes a command."]).joined(with: "\n")
    }
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

let argv = Arguments.afterProgramName()
// CRIU runs swrun as the action script of a restore with hooks (no arguments, told by its
// environment), before anything else here: it must answer fast for every action.
if let status = CriuActionScript.invokedByCriu(arguments: argv) { exit(status) }
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
/// `help [COMMAND]`, `--help`, `-h` and no command at all print help, as runc does.
func runCommand(_ rest: [String]) throws -> Int32 {
    guard let name = rest.first, name != "help", name != "--help", name != "-h" else {
        if rest.count > 1, let c = Commands.named(rest[1]) {
            print(CommandLineParser.help(for: c))
        } else {
            print(SwrunHelp.text)
        }
        return 0
    }
    guard let command = Commands.named(name) else {
        throw CLIError("unknown command \"\(name)\" (`swrun --help` lists the commands)")
    }
    let parsed = try CommandLineParser.parse(Array(rest.dropFirst()), for: command)
    if parsed.help {
        print(CommandLineParser.help(for: command))
        return 0
    }
    return try command.run(parsed)
}

do {
    exit(try runCommand(rest))
} catch let e as RuntimeError {
    fail(e.description)
} catch {
    fail("\(error)")
}
