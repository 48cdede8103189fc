#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension Spec {
    /// Reads, decodes and validates `<bundle>/config.json`: everything `create` needs to
    /// know before it touches the system.
    public static func load(bundle: String) throws(RuntimeError) -> Spec {
        let spec = try parse(try readFile(bundlePath(bundle, "config.json")))
        try spec.validate(bundle: bundle)
        return spec
    }

    /// Parses and decodes without validating (for commands that only read the config).
    public static func parse(_ bytes: [UInt8]) throws(RuntimeError) -> Spec {
        try decode(try JSONValue.parse(bytes))
    }

    public static func decode(_ value: JSONValue) throws(RuntimeError) -> Spec {
        try Spec(json: value, path: "")
    }

    /// `path` if absolute, else relative to the bundle, as the spec resolves `root.path`.
    static func bundlePath(_ bundle: String, _ path: String) -> String {
        if path.hasPrefix("/") { return path }
        if bundle.isEmpty { return path }
        return bundle.hasSuffix("/") ? bundle + path : bundle + "/" + path
    }

    /// Whole-file read with plain syscalls (no Foundation: start-up time matters).
    static func readFile(_ path: String) throws(RuntimeError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let e = errno
            throw RuntimeError.sys("open", "cannot read \(path)", errno: e,
                                   hint: e == ENOENT ? "is --bundle the right directory?" : nil)
        }
        defer { close(fd) }
        var st = stat()
        let hint = fstat(fd, &st) == 0 ? Int(st.st_size) : 0
        switch FileRead.all(fd, limit: Int.max, sizeHint: hint) {
        case .success(let bytes): return bytes
        case .failure(let f): throw RuntimeError.sys("read", "cannot read \(path)", errno: f.errno)
        }
    }

    /// The entry for a namespace type ("pid", "user", ...), if the config lists it.
    public func namespace(_ type: String) -> LinuxNamespace? {
        linux?.namespaces?.first { $0.type == type }
    }

    /// Encodes back to JSON (members in specs-go order, absent fields left out).
    public func toJSON() -> JSONValue { jsonValue }
}

extension Process {
    /// A process object on its own (`exec --process FILE`), paths named from the top
    /// ("process.args").
    public static func parse(_ bytes: [UInt8]) throws(RuntimeError) -> Process {
        try Process(json: try JSONValue.parse(bytes, path: "process"), path: "process")
    }
}

extension Hooks {
    /// The hooks object as JSON, for keeping with a container's state.
    public func toJSON() -> JSONValue { jsonValue }

    /// Back from what toJSON wrote.
    public static func parse(_ json: JSONValue) throws(RuntimeError) -> Hooks {
        try Hooks(json: json, path: "hooks")
    }
}

extension LinuxResources {
    /// `update -r FILE`: a linux.resources object on its own; errors name "resources.<field>".
    public static func parse(_ bytes: [UInt8]) throws(RuntimeError) -> LinuxResources {
        try LinuxResources(json: try JSONValue.parse(bytes, path: "resources"), path: "resources")
    }
}
