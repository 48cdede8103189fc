#if canImport(Glibc)
import Glibc
#endif
import OCIRuntime
import Spec

/// `spec`: writes runc's default config into the bundle, refusing to overwrite one.
enum SpecFile {
    static func write(bundle: String, rootless: Bool) throws {
        let path = (bundle.hasSuffix("/") ? bundle : bundle + "/") + "config.json"
        if access(path, F_OK) == 0 { throw CLIError("File \(path) exists. Remove it first") }
        let text = Spec.defaultConfig(rootless: rootless).serialized(pretty: true) + "\n"
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 { throw RuntimeError.sys("open", "create \(path)", errno: errno) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 { if errno == EINTR { continue }; throw RuntimeError.sys("write", "write \(path)", errno: errno) }
            off += n
        }
    }
}
