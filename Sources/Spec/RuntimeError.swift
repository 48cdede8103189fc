#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The one error type of swrun. Every layer (config parsing, validation, syscalls in the parent
/// or in the container's init, hooks) reports through it, so the CLI prints one shape of
/// message and the child can ship it to the parent field by field.
public struct RuntimeError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What failed, in words ("mount proc on /proc").
    public var message: String
    /// The config path the failure belongs to ("linux.resources.memory.limit"), if any.
    public var jsonPath: String?
    /// The failing system call ("mount"), if any.
    public var syscall: String?
    /// errno of the failing call, captured right after it failed.
    public var errno: Int32?
    /// A way out, when the cause is a common one.
    public var hint: String?

    public init(_ message: String, jsonPath: String? = nil, syscall: String? = nil,
                errno: Int32? = nil, hint: String? = nil) {
        self.message = message
        self.jsonPath = jsonPath
        self.syscall = syscall
        self.errno = errno
        self.hint = hint
    }

    /// A config error: `config.json: <path>: <message>`.
    public static func config(_ path: String, _ message: String) -> RuntimeError {
        RuntimeError(message, jsonPath: path)
    }

    /// A failed system call, errno taken from the caller (capture it before any other call).
    public static func sys(_ syscall: String, _ message: String, errno: Int32,
                           jsonPath: String? = nil, hint: String? = nil) -> RuntimeError {
        RuntimeError(message, jsonPath: jsonPath, syscall: syscall, errno: errno, hint: hint)
    }

    /// strerror's text the way runc (Go) prints it: "no such file or directory". Engines match
    /// these words in a runtime's error to pick an exit status (docker and podman: 127 for a
    /// missing command, 126 for "permission denied"), so the capital glibc puts first matters.
    public static func errnoText(_ e: Int32) -> String {
        lowercasingFirstWord(String(cString: strerror(e)))
    }

    /// "No such file" -> "no such file"; "ELF" and "I/O error" stay. ASCII by its bytes:
    /// Character's case properties look up the Unicode tables, whose pages the container's init
    /// faults in again after the fork (it renders 14 such texts for its exec stub).
    static func lowercasingFirstWord(_ text: String) -> String {
        let u = text.utf8
        if let first = u.first, first < 0x80 {
            let second = u.dropFirst().first
            if second.map({ $0 < 0x80 }) ?? true {
                guard (0x41...0x5a).contains(first), second.map({ (0x61...0x7a).contains($0) }) ?? true else { return text }
                var bytes = Array(u)
                bytes[0] = first + 0x20
                return String(decoding: bytes, as: UTF8.self)
            }
        }
        guard let first = text.first, first.isUppercase, text.dropFirst().first?.isLowercase ?? true else { return text }
        return first.lowercased() + text.dropFirst()
    }

    public var description: String {
        var s = ""
        if let p = jsonPath { s += p.isEmpty ? "config.json: " : "config.json: \(p): " }
        s += message
        if let e = errno {
            let text = RuntimeError.errnoText(e)
            if let sc = syscall { s += ": \(sc): \(text)" } else { s += ": \(text)" }
        } else if let sc = syscall {
            s += " (\(sc))"
        }
        if let h = hint { s += " (\(h))" }
        return s
    }
}
