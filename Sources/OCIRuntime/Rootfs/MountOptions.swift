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
    /// The recursive options (`rro`, `rnosuid`, `rnoatime`...): MOUNT_ATTR_* bits set and
    /// cleared on the mount and every mount below it with mount_setattr(AT_RECURSIVE).
    var recursiveSet: UInt64 = 0
    var recursiveClear: UInt64 = 0

    static let MOUNT_ATTR_RDONLY: UInt64 = 0x1, MOUNT_ATTR_NOSUID: UInt64 = 0x2, MOUNT_ATTR_NODEV: UInt64 = 0x4
    static let MOUNT_ATTR_NOEXEC: UInt64 = 0x8, MOUNT_ATTR__ATIME: UInt64 = 0x70, MOUNT_ATTR_RELATIME: UInt64 = 0
    static let MOUNT_ATTR_NOATIME: UInt64 = 0x10, MOUNT_ATTR_STRICTATIME: UInt64 = 0x20
    static let MOUNT_ATTR_NODIRATIME: UInt64 = 0x80, MOUNT_ATTR_NOSYMFOLLOW: UInt64 = 0x0020_0000

    /// A recursive option → (bits to set, bits to clear). The atime modes are one field, not
    /// bits: the kernel takes one of them only with the whole field cleared.
    static func recursive(_ opt: String) -> (set: UInt64, clear: UInt64)? {
        switch opt {
        case "rro": return (MOUNT_ATTR_RDONLY, 0)
        case "rrw": return (0, MOUNT_ATTR_RDONLY)
        case "rnosuid": return (MOUNT_ATTR_NOSUID, 0)
        case "rsuid": return (0, MOUNT_ATTR_NOSUID)
        case "rnodev": return (MOUNT_ATTR_NODEV, 0)
        case "rdev": return (0, MOUNT_ATTR_NODEV)
        case "rnoexec": return (MOUNT_ATTR_NOEXEC, 0)
        case "rexec": return (0, MOUNT_ATTR_NOEXEC)
        case "rnodiratime": return (MOUNT_ATTR_NODIRATIME, 0)
        case "rdiratime": return (0, MOUNT_ATTR_NODIRATIME)
        case "rnosymfollow": return (MOUNT_ATTR_NOSYMFOLLOW, 0)
        case "rsymfollow": return (0, MOUNT_ATTR_NOSYMFOLLOW)
        case "rnoatime": return (MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME)
        case "rstrictatime", "rnorelatime": return (MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME)
        case "rrelatime", "ratime", "rnostrictatime": return (MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME)
        default: return nil
        }
    }

    static let recursiveNames: [String] = [
        "rro", "rrw", "rnosuid", "rsuid", "rnodev", "rdev", "rnoexec", "rexec", "rnodiratime", "rdiratime",
        "rnosymfollow", "rsymfollow", "rnoatime", "rstrictatime", "rnorelatime", "rrelatime", "ratime", "rnostrictatime",
    ]

    static let MS_RDONLY: UInt = 1, MS_NOSUID: UInt = 2, MS_NODEV: UInt = 4, MS_NOEXEC: UInt = 8
    static let MS_SYNCHRONOUS: UInt = 16, MS_REMOUNT: UInt = 32, MS_MANDLOCK: UInt = 64
    static let MS_DIRSYNC: UInt = 128, MS_NOSYMFOLLOW: UInt = 256, MS_NOATIME: UInt = 1024
    static let MS_NODIRATIME: UInt = 2048, MS_BIND: UInt = 4096, MS_MOVE: UInt = 8192
    static let MS_REC: UInt = 16384, MS_SILENT: UInt = 32768, MS_POSIXACL: UInt = 1 << 16
    static let MS_UNBINDABLE: UInt = 1 << 17, MS_PRIVATE: UInt = 1 << 18, MS_SLAVE: UInt = 1 << 19
    static let MS_SHARED: UInt = 1 << 20, MS_RELATIME: UInt = 1 << 21, MS_I_VERSION: UInt = 1 << 23
    static let MS_STRICTATIME: UInt = 1 << 24, MS_LAZYTIME: UInt = 1 << 25

    /// option → (set?, flag). A switch, not a Dictionary: a dictionary with tuple values is one
    /// more generic type for the runtime to instantiate by name on every create (bench/README.md).
    static func flag(_ opt: String) -> (set: Bool, flag: UInt)? {
        switch opt {
        case "async": return (false, MS_SYNCHRONOUS)
        case "atime": return (false, MS_NOATIME)
        case "defaults": return (false, 0)
        case "dev": return (false, MS_NODEV)
        case "diratime": return (false, MS_NODIRATIME)
        case "dirsync": return (true, MS_DIRSYNC)
        case "exec": return (false, MS_NOEXEC)
        case "iversion": return (true, MS_I_VERSION)
        case "lazytime": return (true, MS_LAZYTIME)
        case "loud": return (false, MS_SILENT)
        case "mand": return (true, MS_MANDLOCK)
        case "noatime": return (true, MS_NOATIME)
        case "nodev": return (true, MS_NODEV)
        case "nodiratime": return (true, MS_NODIRATIME)
        case "noexec": return (true, MS_NOEXEC)
        case "noiversion": return (false, MS_I_VERSION)
        case "nolazytime": return (false, MS_LAZYTIME)
        case "nomand": return (false, MS_MANDLOCK)
        case "norelatime": return (false, MS_RELATIME)
        case "nostrictatime": return (false, MS_STRICTATIME)
        case "nosuid": return (true, MS_NOSUID)
        case "nosymfollow": return (true, MS_NOSYMFOLLOW)
        case "relatime": return (true, MS_RELATIME)
        case "remount": return (true, MS_REMOUNT)
        case "ro": return (true, MS_RDONLY)
        case "rw": return (false, MS_RDONLY)
        case "silent": return (true, MS_SILENT)
        case "strictatime": return (true, MS_STRICTATIME)
        case "suid": return (false, MS_NOSUID)
        case "sync": return (true, MS_SYNCHRONOUS)
        default: return nil
        }
    }

    static func propagation(_ opt: String) -> UInt? {
        switch opt {
        case "private": return MS_PRIVATE
        case "rprivate": return MS_PRIVATE | MS_REC
        case "shared": return MS_SHARED
        case "rshared": return MS_SHARED | MS_REC
        case "slave": return MS_SLAVE
        case "rslave": return MS_SLAVE | MS_REC
        case "unbindable": return MS_UNBINDABLE
        case "runbindable": return MS_UNBINDABLE | MS_REC
        default: return nil
        }
    }

    /// Every option name flag(_:) and propagation(_:) know (features.md).
    static let names: [String] = [
        "async", "atime", "defaults", "dev", "diratime", "dirsync", "exec", "iversion",
        "lazytime", "loud", "mand", "noatime", "nodev", "nodiratime", "noexec", "noiversion",
        "nolazytime", "nomand", "norelatime", "nostrictatime", "nosuid", "nosymfollow", "relatime", "remount",
        "ro", "rw", "silent", "strictatime", "suid", "sync", "private", "rprivate",
        "shared", "rshared", "slave", "rslave", "unbindable", "runbindable",
    ] + recursiveNames + ["idmap", "ridmap"]

    static func parse(_ options: [String]?) -> MountOptions {
        var o = MountOptions()
        for opt in options ?? [] {
            if opt == "bind" { o.bind = true; continue }
            if opt == "rbind" { o.bind = true; o.recursive = true; continue }
            if opt == "tmpcopyup" { o.copyUp = true; continue }
            // Applied on the host side (BindSources.idmap), never passed to mount(2).
            if opt == "idmap" || opt == "ridmap" { continue }
            if let (set, flag) = flag(opt) {
                if set { o.flags |= flag; o.clearFlags &= ~flag } else { o.flags &= ~flag; o.clearFlags |= flag }
                continue
            }
            if let p = propagation(opt) { o.propagation.append(p); continue }
            if let (set, clear) = recursive(opt) {
                // A later option wins, as with the plain flags; a new atime mode replaces the old.
                if clear & MOUNT_ATTR__ATIME != 0 { o.recursiveSet &= ~MOUNT_ATTR__ATIME }
                o.recursiveSet = (o.recursiveSet & ~(clear & ~MOUNT_ATTR__ATIME)) | set
                o.recursiveClear = (o.recursiveClear & ~set) | clear
                continue
            }
            o.data.append(opt)
        }
        return o
    }

    var dataString: String { data.commaJoined }
}
