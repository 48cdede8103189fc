import Spec

/// Container IDs become directory names under --root and cgroup names: only a conservative
/// alphabet, so an ID can never climb out of the state root ("..", "/"). runc's alphabet,
/// leading dots included.
public enum ContainerID {
    public static let maxLength = 1024

    public static func validate(_ id: String) throws(RuntimeError) {
        if id.isEmpty { throw RuntimeError("container id must not be empty") }
        if id.utf8.count > maxLength {
            throw RuntimeError("invalid container id: longer than \(maxLength) bytes")
        }
        if id == "." || id == ".." {
            throw RuntimeError("invalid container id \"\(id)\": not a name")
        }
        for c in id.utf8 {
            let ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
                || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")
                || c == UInt8(ascii: "+")
            if !ok {
                throw RuntimeError("invalid container id \"\(id)\": only letters, digits, '_', '-', '.' and '+' are allowed")
            }
        }
    }
}
