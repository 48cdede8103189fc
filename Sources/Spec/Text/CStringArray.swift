#if canImport(Glibc)
import Glibc
#endif

/// argv and envp for execve and posix_spawn: NUL-terminated copies of the strings and a
/// nil-terminated array of pointers to them, valid during `body`. The pointer array is a
/// stack allocation, not an [UnsafeMutablePointer<CChar>?]: that array type is one the Swift
/// runtime would instantiate by name in every container init (measured in bench/).
public func withCStringArray<R>(_ strings: [String],
                                _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<CChar>?.self, capacity: strings.count + 1) { buf in
        let base = buf.baseAddress!
        for (i, s) in strings.enumerated() { (base + i).initialize(to: strdup(s)) }
        (base + strings.count).initialize(to: nil)
        defer { for i in 0..<strings.count { free(base[i]) } }
        return body(base)
    }
}
