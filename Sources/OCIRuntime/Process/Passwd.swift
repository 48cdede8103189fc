/// The line of /etc/passwd (as this process sees it: the host's, or the container's once in
/// its mount namespace) for a UID, split into its fields (name, password, UID, GID, GECOS,
/// home, shell). Read directly, not through NSS (getpwuid): the release binary is static,
/// where NSS would dlopen glibc's modules, and runc reads the file the same way. A UID field
/// that is not a number, or does not fit in 32 bits, matches nothing (UInt32's failable
/// init from text).
enum Passwd {
    static func entry(uid: UInt32) -> [String]? {
        guard let text = try? Sys.readString("/etc/passwd") else { return nil }
        for line in text.fields("\n") {
            let f = line.fields(":", keepEmpty: true)
            if f.count >= 6, UInt32(f[2]) == uid { return f }
        }
        return nil
    }
}
