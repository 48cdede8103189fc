#if canImport(Glibc)
import Glibc
#endif
import Spec

/// Signal names as `kill` accepts them: "TERM", "SIGTERM", "15", any case, plus RTMIN+n.
public enum Signals {
    public static let byName: [String: Int32] = [
        "ABRT": SIGABRT, "ALRM": SIGALRM, "BUS": SIGBUS, "CHLD": SIGCHLD, "CLD": SIGCHLD,
        "CONT": SIGCONT, "FPE": SIGFPE, "HUP": SIGHUP, "ILL": SIGILL, "INT": SIGINT,
        "IO": SIGIO, "IOT": SIGIOT, "KILL": SIGKILL, "PIPE": SIGPIPE, "POLL": SIGPOLL,
        "PROF": SIGPROF, "PWR": SIGPWR, "QUIT": SIGQUIT, "SEGV": SIGSEGV, "STKFLT": SIGSTKFLT,
        "STOP": SIGSTOP, "SYS": SIGSYS, "TERM": SIGTERM, "TRAP": SIGTRAP, "TSTP": SIGTSTP,
        "TTIN": SIGTTIN, "TTOU": SIGTTOU, "URG": SIGURG, "USR1": SIGUSR1, "USR2": SIGUSR2,
        "VTALRM": SIGVTALRM, "WINCH": SIGWINCH, "XCPU": SIGXCPU, "XFSZ": SIGXFSZ,
    ]

    /// The name of a signal number without "SIG" (the first of its aliases in the table).
    static func name(_ sig: Int32) -> String? {
        byName.filter { $0.value == sig }.keys.sorted().first
    }

    public static func parse(_ text: String) throws(RuntimeError) -> Int32 {
        let maxSignal: Int32 = 64
        if let n = Int32(text) {
            // 0 is a liveness probe, as with kill(1) and runc: checks and delivers nothing.
            guard n >= 0 && n <= maxSignal else { throw RuntimeError("invalid signal \"\(text)\": out of range 0-\(maxSignal)") }
            return n
        }
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        if let n = byName[name] { return n }
        let rtmin: Int32 = 34
        if name == "RTMIN" { return rtmin }
        if name == "RTMAX" { return maxSignal }
        if name.hasPrefix("RTMIN+"), let k = Int32(name.dropFirst(6)), rtmin + k <= maxSignal, k >= 0 { return rtmin + k }
        if name.hasPrefix("RTMAX-"), let k = Int32(name.dropFirst(6)), maxSignal - k >= rtmin, k >= 0 { return maxSignal - k }
        throw RuntimeError("invalid signal \"\(text)\"")
    }
}
