#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Spec

/// Runs config.json hooks as runtime-spec config.md "POSIX-platform Hooks" says: `path` with
/// argv `args` and exactly the environment `env` (when absent, `inherited`: as runc and crun,
/// the runtime's own environment, PATH included), the container's state JSON on stdin, killed
/// when it outlives `timeout` seconds. A hook's failure names its config path
/// ("hooks.createRuntime[1]") and carries the start of what it wrote.
public struct HookRunner {
    /// Bytes of stdout and of stderr kept for the error message.
    public static let outputLimit = 4096
    /// Lines of output quoted in the error message.
    static let quotedLines = 5

    /// `inherited`: the environment of a hook without `env`. By default the runtime's own, right
    /// for the phases run in the runtime's namespace; a hook run in the container namespace
    /// gets the container process's (what runc's init holds then), never the engine's variables
    /// that swrun scrubs from every process it forks into the container.
    public static func run(_ hook: Hook, phase: HookPhase, index: Int, state: JSONValue,
                           inherited: [String] = runtimeEnvironment()) throws(RuntimeError) {
        let jsonPath = phase.jsonPath(index: index)
        let argv = hook.args.flatMap { $0.isEmpty ? nil : $0 } ?? [hook.path]
        try runProgram(hook.path, argv: argv, env: hook.env ?? inherited, input: state.serializedBytes(),
                       timeoutSeconds: hook.timeout, jsonPath: jsonPath, kind: "hook")
    }

    /// Runs a program as hooks are run (exact argv and env, no inherited fds, killed after
    /// the timeout), and fails with its status and the start of its output. Also serves the
    /// helpers swrun itself calls (newuidmap, newgidmap).
    public static func runProgram(_ path: String, argv: [String], env: [String], input: [UInt8] = [],
                                  timeoutSeconds: Int?, jsonPath: String, kind: String = "") throws(RuntimeError) {
        var child = try SpawnedHook.spawn(path: path, argv: argv, env: env, jsonPath: jsonPath)
        let result = try child.communicate(input: input, timeoutSeconds: timeoutSeconds, jsonPath: jsonPath)
        let name = kind.isEmpty ? path : kind + " " + path
        let what: String
        switch result.outcome {
        case .exited(0): return
        case .exited(let status): what = "\(name) exited with status \(status)"
        case .signaled(let signal): what = "\(name) was killed by signal \(signal)"
        case .timedOut: what = "\(name) timed out after \(timeoutSeconds ?? 0)s"
        }
        throw RuntimeError(what + outputSummary(result), jsonPath: jsonPath)
    }

    /// Runs the phase's hooks in order; the first failure stops the rest and is thrown
    /// (prestart, createRuntime, createContainer, startContainer).
    public static func runAll(_ hooks: [Hook]?, phase: HookPhase, state: JSONValue,
                              inherited: [String] = runtimeEnvironment()) throws(RuntimeError) {
        for (i, hook) in (hooks ?? []).enumerated() {
            try run(hook, phase: phase, index: i, state: state, inherited: inherited)
        }
    }

    /// Runs every hook of the phase; failures are only reported through `warn` (poststart,
    /// poststop: the spec says the runtime logs a warning and carries on).
    public static func runAllWarning(_ hooks: [Hook]?, phase: HookPhase, state: JSONValue,
                                     warn: (String) -> Void) {
        for (i, hook) in (hooks ?? []).enumerated() {
            do {
                try run(hook, phase: phase, index: i, state: state)
            } catch {
                warn(error.description)
            }
        }
    }

    /// This process's environment, as it was given to swrun. A process that scrubbed it
    /// (sw_scrub_environment zeroes the strings) has only empty entries: none are kept.
    public static func runtimeEnvironment() -> [String] {
        var out: [String] = []
        var p = environ
        while let entry = p.pointee {
            if entry.pointee != 0 { out.append(String(cString: entry)) }
            p += 1
        }
        return out
    }

    /// ": <stderr lines> (stdout: <lines>)", each part only when there was output.
    static func outputSummary(_ r: HookResult) -> String {
        let err = quote(r.stderr), out = quote(r.stdout)
        switch (err.isEmpty, out.isEmpty) {
        case (true, true): return ""
        case (false, true): return ": " + err
        case (true, false): return ": stdout: " + out
        case (false, false): return ": " + err + " (stdout: " + out + ")"
        }
    }

    /// The first non-blank lines, joined with "; ", "…" when there was more.
    static func quote(_ c: Capture) -> String {
        let lines = String(decoding: c.bytes, as: UTF8.self)
            .split(whereSeparator: { $0 == "\n" || $0 == "\r" })
            .map { $0.trimmingWhitespace() }
            .filter { !$0.isEmpty }
        guard !lines.isEmpty else { return "" }
        var text = lines.prefix(quotedLines).joined(separator: "; ")
        if lines.count > quotedLines || c.truncated { text += "…" }
        return text
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
