#if canImport(Glibc)
import Glibc
#endif
import Spec

/// A mount's `options` split as mount(2) wants them: flags, propagation flags (applied with
/// separate calls), and the rest as the filesystem's data string. Unknown options are passed
/// to the filesystem, as runc does.
struct MountOptions: Equatable {
    var flags: UInt = 0
    var clearFlags: UInt = 0
    var propagation: [UInt] = []
    var data: [String] = []
    var bind = false
    var recursive = false
    /// runc's `tmpcopyup`: the new tmpfs starts with the contents of the directory it covers.
    var copyUp = false

    static let MS_RDONLY: UInt = 1, MS_NOSUID: UInt = 2, MS_NODEV: UInt = 4, MS_NOEXEC: UInt = 8
    static let MS_SYNCHRONOUS: UInt = 16, MS_REMOUNT: UInt = 32, MS_MANDLOCK: UInt = 64
    static let MS_DIRSYNC: UInt = 128, MS_NOSYMFOLLOW: UInt = 256, MS_NOATIME: UInt = 1024
    static let MS_NODIRATIME: UInt = 2048, MS_BIND: UInt = 4096, MS_MOVE: UInt = 8192
    static let MS_REC: UInt = 16384, MS_SILENT: UInt = 32768, MS_POSIXACL: UInt = 1 << 16
    static let MS_UNBINDABLE: UInt = 1 << 17, MS_PRIVATE: UInt = 1 << 18, MS_SLAVE: UInt = 1 << 19
    static let MS_SHARED: UInt = 1 << 20, MS_RELATIME: UInt = 1 << 21, MS_I_VERSION: UInt = 1 << 23
    static let MS_STRICTATIME: UInt = 1 << 24, MS_LAZYTIME: UInt = 1 << 25

    /// option → (set?, flag)
    static let table: [String: (Bool, UInt)] = [
        "async": (false, MS_SYNCHRONOUS), "atime": (false, MS_NOATIME), "defaults": (false, 0),
        "dev": (false, MS_NODEV), "diratime": (false, MS_NODIRATIME), "dirsync": (true, MS_DIRSYNC),
        "exec": (false, MS_NOEXEC), "iversion": (true, MS_I_VERSION), "lazytime": (true, MS_LAZYTIME),
        "loud": (false, MS_SILENT), "mand": (true, MS_MANDLOCK), "noatime": (true, MS_NOATIME),
        "nodev": (true, MS_NODEV), "nodiratime": (true, MS_NODIRATIME), "noexec": (true, MS_NOEXEC),
        "noiversion": (false, MS_I_VERSION), "nolazytime": (false, MS_LAZYTIME),
        "nomand": (false, MS_MANDLOCK), "norelatime": (false, MS_RELATIME),
        "nostrictatime": (false, MS_STRICTATIME), "nosuid": (true, MS_NOSUID),
        "nosymfollow": (true, MS_NOSYMFOLLOW), "relatime": (true, MS_RELATIME),
        "remount": (true, MS_REMOUNT), "ro": (true, MS_RDONLY), "rw": (false, MS_RDONLY),
        "silent": (true, MS_SILENT), "strictatime": (true, MS_STRICTATIME), "suid": (false, MS_NOSUID),
        "sync": (true, MS_SYNCHRONOUS),
    ]
    static let propagationTable: [String: UInt] = [
        "private": MS_PRIVATE, "rprivate": MS_PRIVATE | MS_REC, "shared": MS_SHARED,
        "rshared": MS_SHARED | MS_REC, "slave": MS_SLAVE, "rslave": MS_SLAVE | MS_REC,
        "unbindable": MS_UNBINDABLE, "runbindable": MS_UNBINDABLE | MS_REC,
    ]

    static func parse(_ options: [String]?) -> MountOptions {
        var o = MountOptions()
        for opt in options ?? [] {
            if opt == "bind" { o.bind = true; continue }
            if opt == "rbind" { o.bind = true; o.recursive = true; continue }
            if opt == "tmpcopyup" { o.copyUp = true; continue }
            if let (set, flag) = table[opt] {
                if set { o.flags |= flag; o.clearFlags &= ~flag } else { o.flags &= ~flag; o.clearFlags |= flag }
                continue
            }
            if let p = propagationTable[opt] { o.propagation.append(p); continue }
            o.data.append(opt)
        }
        return o
    }

    var dataString: String { data.joined(separator: ",") }
}
