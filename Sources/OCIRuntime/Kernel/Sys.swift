#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSyscalls
import Spec

/// Glibc's module leaves out the _GNU_SOURCE constants.
let O_PATH: Int32 = 0o10000000

/// Small helpers over libc so call sites stay one line each. errno is read right after the
/// failing call, before anything else can overwrite it.
enum Sys {
    /// Runs `body` until it stops failing with EINTR; throws RuntimeError on -1.
    @discardableResult
    static func check(_ syscall: String, _ what: @autoclosure () -> String, jsonPath: String? = nil,
                      hint: String? = nil, _ body: () -> Int32) throws(RuntimeError) -> Int32 {
        while true {
            let rc = body()
            if rc != -1 { return rc }
            let e = errno
            if e == EINTR { continue }
            throw RuntimeError.sys(syscall, what(), errno: e, jsonPath: jsonPath, hint: hint)
        }
    }

    static func readFile(_ path: String, limit: Int = 1 << 24) throws(RuntimeError) -> [UInt8] {
        let fd = try check("open", "open \(path)") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(fd) }
        return try readAll(fd, what: path, limit: limit)
    }

    static func readAll(_ fd: Int32, what: String, limit: Int = 1 << 24) throws(RuntimeError) -> [UInt8] {
        switch FileRead.all(fd, limit: limit) {
        case .success(let bytes): return bytes
        case .failure(let f): throw RuntimeError.sys("read", "read \(what)", errno: f.errno)
        }
    }

    static func readString(_ path: String) throws(RuntimeError) -> String {
        String(decoding: try readFile(path), as: UTF8.self)
    }

    /// Writes a whole file (truncating), as one write where possible: cgroup and proc files
    /// take a value per write call.
    static func writeFile(_ path: String, _ text: String, mode: mode_t = 0o644, flags: Int32 = O_TRUNC | O_CREAT,
                          jsonPath: String? = nil) throws(RuntimeError) {
        let fd = try check("open", "open \(path)", jsonPath: jsonPath) {
            open(path, O_WRONLY | O_CLOEXEC | flags, mode)
        }
        defer { close(fd) }
        try writeAll(fd, Array(text.utf8), what: path, jsonPath: jsonPath)
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], what: String, jsonPath: String? = nil) throws(RuntimeError) {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 {
                let e = errno
                if e == EINTR { continue }
                throw RuntimeError.sys("write", "write \(what)", errno: e, jsonPath: jsonPath)
            }
            off += n
        }
    }

    /// Writes to a temp file beside `path` and renames it into place: readers never see half a
    /// file. No fsync: the state root is on tmpfs (/run), and a state dir does not outlive a boot.
    static func writeAtomically(_ path: String, _ text: String, mode: mode_t = 0o600) throws(RuntimeError) {
        let tmp = path + ".tmp"
        let fd = try check("open", "open \(tmp)") { open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode) }
        do {
            try writeAll(fd, Array(text.utf8), what: tmp)
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        close(fd)
        // Renaming over an existing file makes ext4 (auto_da_alloc) start writing the new one
        // out before rename returns: ~0.1-0.3 ms of every create with --root on disk.
        // Exchanging the two files is as atomic for readers and skips that. Only over a
        // regular file (a --pid-file may name anything, and rename's errors must stay);
        // EINVAL (a filesystem without exchange) takes the plain rename.
        var st = stat()
        if lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && sw_rename_exchange(tmp, path) == 0 {
            unlink(tmp)
            return
        }
        do {
            try check("rename", "rename \(tmp) to \(path)") { rename(tmp, path) }
        } catch {
            unlink(tmp)
            throw error
        }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// mkdir -p. Existing directories are fine.
    static func mkdirAll(_ path: String, mode: mode_t = 0o755) throws(RuntimeError) {
        if path.isEmpty || isDirectory(path) { return }
        let parent = dirname(of: path)
        if parent != path { try mkdirAll(parent, mode: mode) }
        if mkdir(path, mode) != 0 {
            let e = errno
            if e != EEXIST { throw RuntimeError.sys("mkdir", "create directory \(path)", errno: e) }
        }
    }

    /// rm -rf of a directory tree we own (state dirs). Does not follow symlinks.
    static func removeAll(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            if let d = opendir(path) {
                var names: [String] = []
                while let ent = readdir(d) {
                    let name = withUnsafePointer(to: ent.pointee.d_name) {
                        String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
                    }
                    if name != "." && name != ".." { names.append(name) }
                }
                closedir(d)
                for n in names { removeAll(path + "/" + n) }
            }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// A symlink's target, nil when it is not one (or is longer than PATH_MAX); `path`
    /// relative to `dirFd` when given.
    static func readLink(_ path: String, in dirFd: Int32 = AT_FDCWD) -> String? {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX))
        let n = readlinkat(dirFd, path, &buf, buf.count)
        guard n > 0, n < buf.count else { return nil }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func listDirectory(_ path: String) -> [String] {
        guard let d = opendir(path) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        while let ent = readdir(d) {
            let name = withUnsafePointer(to: ent.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func dirname(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last component of `path` ("" for "/"; the whole path when it has no slash).
    static func basename(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    static func join(_ a: String, _ b: String) -> String {
        if b.hasPrefix("/") { return a.hasSuffix("/") ? a + b.dropFirst() : a + b }
        return a.hasSuffix("/") ? a + b : a + "/" + b
    }

    /// Lexically cleans a path (PathClean.clean, in Spec so config validation cleans mount
    /// destinations the way the mounter does).
    static func clean(_ path: String) -> String { PathClean.clean(path) }

    static func absolutePath(_ path: String) -> String {
        if path.hasPrefix("/") { return clean(path) }
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX))
        guard getcwd(&buf, buf.count) != nil else { return clean(path) }
        let cwd = buf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return clean(cwd + "/" + path)
    }

    static func env(_ name: String) -> String? {
        guard let v = getenv(name) else { return nil }
        return String(cString: v)
    }

    static func errnoText(_ e: Int32) -> String { RuntimeError.errnoText(e) }
}

extension String {
    /// Foundation's trimming, for the few places that need it without Foundation. `set` is
    /// ASCII (whitespace, newlines): the trim works on UTF-8 bytes, with no Set<Character>
    /// and no grapheme breaking on the create path.
    func trimmingCharacters(in set: String) -> String {
        let u = utf8, strip = set.utf8
        var start = u.startIndex, end = u.endIndex
        while start < end, strip.contains(u[start]) { start = u.index(after: start) }
        while start < end {
            let before = u.index(before: end)
            guard strip.contains(u[before]) else { break }
            end = before
        }
        return String(self[start..<end])
    }
}
