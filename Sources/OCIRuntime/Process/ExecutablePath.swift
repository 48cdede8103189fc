#if canImport(Glibc)
import Glibc
#endif
import Spec

/// Finds process.args[0] inside the container the way execvp would, before the container is
/// reported ready: a missing binary fails `create`, not silently after `start`.
enum ExecutablePath {
    static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    static func resolve(_ name: String, env: [String]) throws(RuntimeError) -> String {
        if name.isEmpty { throw RuntimeError.config("process.args[0]", "must not be empty") }
        if name.contains("/") {
            try check(name, name: name)
            return name
        }
        let pathVar = env.last { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? defaultPath
        for dir in pathVar.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + name
            if isExecutableFile(candidate) { return candidate }
        }
        throw RuntimeError("exec: \"\(name)\": executable file not found in $PATH", jsonPath: "process.args[0]")
    }

    static func isExecutableFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && st.st_mode & 0o111 != 0
    }

    static func check(_ path: String, name: String) throws(RuntimeError) {
        var st = stat()
        if stat(path, &st) != 0 {
            let e = errno
            throw RuntimeError.sys("stat", "exec: \"\(name)\"", errno: e, jsonPath: "process.args[0]")
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            throw RuntimeError("exec: \"\(name)\": is a directory", jsonPath: "process.args[0]")
        }
        if st.st_mode & 0o111 == 0 {
            throw RuntimeError("exec: \"\(name)\": permission denied", jsonPath: "process.args[0]")
        }
    }
}
