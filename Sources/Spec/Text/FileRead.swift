#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reading a whole file descriptor, shared by the config loader and the runtime. The chunk
/// buffer is never zero-filled: a zeroed 64 KiB array cost 16 page faults on every read,
/// which showed up in the create profile (bench/README.md).
public enum FileRead {
    /// The bytes up to EOF or `limit`, or the errno of the failing read.
    public static func all(_ fd: Int32, limit: Int = 1 << 24, sizeHint: Int = 0) -> Result<[UInt8], FileReadError> {
        var out: [UInt8] = []
        if sizeHint > 0 { out.reserveCapacity(min(sizeHint, limit)) }
        var failure: Int32 = 0
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16384) { chunk in
            while out.count < limit {
                let n = read(fd, chunk.baseAddress, chunk.count)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                if n == 0 { return }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[0..<n]))
            }
        }
        return failure == 0 ? .success(out) : .failure(FileReadError(errno: failure))
    }
}

public struct FileReadError: Error {
    public var errno: Int32
}
