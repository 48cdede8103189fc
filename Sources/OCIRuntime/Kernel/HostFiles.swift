#if canImport(Glibc)
import Glibc
#endif
import Spec

/// File access for the CLI (process files, `spec`'s config.json), through the same helpers
/// the runtime uses.
public enum HostFiles {
    public static func read(_ path: String) throws(RuntimeError) -> [UInt8] {
        try Sys.readFile(path)
    }

    /// Creates `path` with `text`; fails if it exists.
    public static func createNew(_ path: String, _ text: String) throws(RuntimeError) {
        try Sys.writeFile(path, text, mode: 0o644, flags: O_CREAT | O_EXCL)
    }
}
