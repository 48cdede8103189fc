#if canImport(Glibc)
import Glibc
#endif
import CSyscalls
import Spec

/// Finds process.args[0] inside the container the way execvp would, before the container is
/// reported ready: a missing binary fails `create`, not silently after `start`.
enum ExecutablePath {
    static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// execve's E2BIG, found before ready: one string over MAX_ARG_STRLEN (32 pages), or
    /// all strings and their pointers over the kernel's limit (a quarter of RLIMIT_STACK,
    /// capped at 6 MiB, at least 32 pages), as fs/exec.c counts them.
    static func checkArgumentSize(args: [String], env: [String]) throws(RuntimeError) {
        let maxString = 32 * 4096
        var total = (max(args.count, 1) + env.count) * MemoryLayout<UnsafeRawPointer>.size
        func count(_ list: [String], _ field: String) throws(RuntimeError) {
            for (i, s) in list.enumerated() {
                let n = s.utf8.count + 1
                if n > maxString {
                    throw RuntimeError.config("\(field)[\(i)]", "is \(n) bytes: longer than the \(maxString) bytes execve takes in one string")
                }
                total += n
            }
        }
        try count(args, "process.args")
        try count(env, "process.env")
        var soft: UInt64 = 0, hard: UInt64 = 0
        let stack = sw_getrlimit(Int32(RLIMIT_STACK.rawValue), &soft, &hard) == 0 ? soft : 8 << 20
        let limit = max(min(stack / 4, 6 << 20), UInt64(maxString))
        if UInt64(total) > limit {
            throw RuntimeError.config("process.args", "the arguments and environment take \(total) bytes: more than the \(limit) execve takes here (a quarter of RLIMIT_STACK)")
        }
    }

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
