#if canImport(Glibc)
import Glibc
#endif
import Spec

/// runc's logging contract: with `--log FILE` every message goes there as a line, in
/// `--log-format json` as `{"level":"error","msg":"...","time":"..."}` (containerd's shim and
/// conmon parse these) or as logfmt text. Errors also go to stderr.
public enum Log {
    public enum Format: String, Sendable { case text, json }
    public enum Level: String, Sendable { case debug, info, warning, error }

    nonisolated(unsafe) static var fd: Int32 = -1
    nonisolated(unsafe) public static var format: Format = .text
    nonisolated(unsafe) public static var debugEnabled = false

    public static func open(path: String?, format: Format) throws(RuntimeError) {
        self.format = format
        guard let path, !path.isEmpty else { return }
        fd = try Sys.check("open", "open log file \(path)") {
            Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        }
    }

    public static func line(_ level: Level, _ msg: String) -> String {
        switch format {
        case .json:
            return JSONValue.object([("level", .string(level.rawValue)), ("msg", .string(msg)),
                                     ("time", .string(Timestamp.now()))]).serialized() + "\n"
        case .text:
            return "time=\"\(Timestamp.now())\" level=\(level.rawValue) msg=\(JSONValue.string(msg).serialized())\n"
        }
    }

    public static func write(_ level: Level, _ msg: String) {
        if level == .debug && !debugEnabled { return }
        if fd >= 0 {
            _ = try? Sys.writeAll(fd, Array(line(level, msg).utf8), what: "log")
        }
    }

    /// Warnings: to the log, or to stderr when there is no log file, as the same line in the
    /// chosen format (runc's logrus writes to stderr by default): a user at a terminal sees
    /// it, and an engine reading stderr parses it as it would the log.
    public static func warn(_ msg: String) {
        if fd >= 0 { write(.warning, msg) } else { raw(line(.warning, msg)) }
    }

    public static func debug(_ msg: String) { write(.debug, msg) }

    public static func error(_ msg: String) {
        write(.error, msg)
        stderr(msg)
    }

    static func stderr(_ msg: String) { raw(msg + "\n") }

    private static func raw(_ text: String) {
        _ = try? Sys.writeAll(2, Array(text.utf8), what: "stderr")
    }
}
