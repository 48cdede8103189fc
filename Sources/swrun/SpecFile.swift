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
        try HostFiles.createNew(path, Spec.defaultConfig(rootless: rootless).serialized(pretty: true) + "\n")
    }
}
