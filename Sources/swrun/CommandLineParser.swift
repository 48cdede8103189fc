/// The command line after the global options: a command, its options and its arguments, with
/// runc's (urfave/cli) spellings and messages. Written for swrun instead of
/// swift-argument-parser, which links FoundationEssentials (with _StringProcessing,
/// _Concurrency and Dispatch: about 6 MB of a 15 MB binary) and builds its command tree by
/// reflection at every start (bench/README.md, "Binary size").
///
/// Rules, as runc's and as swift-argument-parser's were for swrun:
/// - `--name value`, `--name=value`, `-n value`; a repeated option keeps every value (`-e`),
///   otherwise the last one counts. Flags take no value (`--force=true|false` as urfave).
/// - Short flags group (`-dt`); the last of a group may take a value (`-tp FILE`).
/// - Options and arguments mix freely; `--` ends the options.
/// - A command with trailing arguments (exec's command, ps's options) takes everything after
///   its last named argument verbatim, options included.
/// - `-h`/`--help` prints the command's help.
struct Option {
    let names: [String]  // the first is the canonical one: "--bundle", then "-b"
    let value: String?   // the value's name in help; nil for a flag
    let help: String

    static func flag(_ names: String..., help: String) -> Option { Option(names: names, value: nil, help: help) }
    static func value(_ names: String..., as value: String, help: String) -> Option {
        Option(names: names, value: value, help: help)
    }
}

/// A class, not a struct: main holds the one it looks up as a `Command?`, which for a struct
/// of seven fields is an outlined copy and destroy of each; a reference is one retain.
final class Command {
    let name: String
    let abstract: String
    let options: [Option]
    /// Named arguments in order; those after `required` may be left out.
    let arguments: [String]
    let required: Int
    /// The name of the trailing arguments in help, if the command takes them.
    let trailing: String?
    let run: (ParsedCommand) throws -> Int32

    init(_ name: String, _ abstract: String, options: [Option] = [], arguments: [String] = [],
         required: Int? = nil, trailing: String? = nil, run: @escaping (ParsedCommand) throws -> Int32) {
        self.name = name
        self.abstract = abstract
        self.options = options
        self.arguments = arguments
        self.required = required ?? arguments.count
        self.trailing = trailing
        self.run = run
    }

    func option(named name: String) -> Option? {
        options.first { $0.names.contains(name) }
    }
}

/// What the parser found. Values are kept by the option's canonical name, in order.
struct ParsedCommand {
    var names: [String] = []
    var values: [String] = []
    var flags: [String] = []
    var arguments: [String] = []
    var trailing: [String] = []
    var help = false

    func flag(_ name: String) -> Bool { flags.contains(name) }

    func value(_ name: String) -> String? {
        names.lastIndex(of: name).map { values[$0] }
    }

    func all(_ name: String) -> [String] {
        names.indices.filter { names[$0] == name }.map { values[$0] }
    }

    func argument(_ i: Int) -> String? { i < arguments.count ? arguments[i] : nil }

    /// A number-valued option; a value that is no such number is an error naming the flag.
    func number<T: FixedWidthInteger>(_ name: String, _: T.Type = T.self) throws -> T? {
        guard let text = value(name) else { return nil }
        return try Self.number(text, flag: name)
    }

    func numbers<T: FixedWidthInteger>(_ name: String, _: T.Type = T.self) throws -> [T] {
        try all(name).map { try Self.number($0, flag: name) }
    }

    static func number<T: FixedWidthInteger>(_ text: String, flag: String) throws -> T {
        guard let v = T(text, radix: 10) else {
            throw CLIError("invalid value \"\(text)\" for flag \(flag): "
                           + "expected an integer from \(T.min) to \(T.max)")
        }
        return v
    }
}

enum CommandLineParser {
    static func parse(_ args: [String], for command: Command) throws -> ParsedCommand {
        var p = ParsedCommand()
        var i = 0
        var optionsEnded = false
        func takeValue(_ option: Option, _ attached: String?) throws {
            let canonical = option.names[0]
            var v = attached
            if v == nil {
                i += 1
                guard i < args.count else { throw CLIError("flag needs an argument: \(canonical)") }
                v = args[i]
            }
            p.names.append(canonical)
            p.values.append(v ?? "")
        }
        func setFlag(_ option: Option, _ attached: String?) throws {
            let canonical = option.names[0]
            switch attached {
            case nil, "true", "1": if !p.flags.contains(canonical) { p.flags.append(canonical) }
            case "false", "0": p.flags.removeAll { $0 == canonical }
            case let v?: throw CLIError("invalid value \"\(v)\" for flag \(canonical): expected true or false")
            }
        }
        while i < args.count {
            let a = args[i]
            if command.trailing != nil && p.arguments.count == command.arguments.count {
                p.trailing = Array(args[i...])
                break
            }
            if optionsEnded || !a.hasPrefix("-") || a == "-" {
                p.arguments.append(a)
            } else if a == "--" {
                optionsEnded = true
            } else if a == "--help" || a == "-h" {
                p.help = true
                return p
            } else {
                var name = a, attached: String?
                if let (n, v) = a.split(around: "=") { name = n; attached = v }
                if let o = command.option(named: name) {
                    if o.value == nil { try setFlag(o, attached) } else { try takeValue(o, attached) }
                } else if let group = shortGroup(name, attached, command) {
                    for (k, o) in group.enumerated() {
                        if o.value == nil { try setFlag(o, nil) } else if k == group.count - 1 { try takeValue(o, nil) }
                    }
                } else {
                    throw CLIError("flag provided but not defined: \(name) (swrun \(command.name) --help lists them)")
                }
            }
            i += 1
        }
        if p.arguments.count < command.required || p.arguments.count > command.arguments.count {
            throw CLIError("\"\(command.name)\" requires " + countText(command))
        }
        return p
    }

    /// `-dt`, `-tp`: every letter a short option, only the last one taking a value.
    private static func shortGroup(_ name: String, _ attached: String?, _ command: Command) -> [Option]? {
        guard attached == nil, !name.hasPrefix("--"), name.count > 2 else { return nil }
        var out: [Option] = []
        for c in name.dropFirst() {
            guard let o = command.option(named: "-" + String(c)) else { return nil }
            out.append(o)
        }
        return out.dropLast().allSatisfy { $0.value == nil } ? out : nil
    }

    private static func countText(_ c: Command) -> String {
        if c.required == c.arguments.count { return "exactly \(c.required) argument(s)" }
        return "a minimum of \(c.required) and a maximum of \(c.arguments.count) argument(s)"
    }

    // MARK: help

    static func help(for c: Command) -> String {
        var usage = "Usage: swrun [global options] \(c.name)"
        if !c.options.isEmpty { usage += " [options]" }
        for (i, a) in c.arguments.enumerated() { usage += i < c.required ? " <\(a)>" : " [\(a)]" }
        if let t = c.trailing { usage += " [\(t)...]" }
        var lines = [usage, "", c.abstract, "", "Options:"]
        let rows = c.options.map { o in
            (o.names.sorted { $0.count < $1.count }.joined(with: ", ") + (o.value.map { " <\($0)>" } ?? ""), o.help)
        } + [("-h, --help", "show this help")]
        let width = rows.map(\.0.count).max() ?? 0
        for (label, text) in rows {
            lines.append("  " + label + String(repeating: " ", count: width - label.count + 2) + text)
        }
        return lines.joined(with: "\n")
    }
}
