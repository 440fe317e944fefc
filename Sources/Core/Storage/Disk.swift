/// Why a disk operation failed. Environment failures, never bugs: they reach `main` or the simulator.
public enum DiskError: Error, Equatable, Sendable, CustomStringConvertible {
    case notFound(file: String)
    case ioFailed(file: String, operation: String, code: Int32)
    case noSpace(file: String)

    public var description: String {
        switch self {
        case .notFound(let file): "\(file): no such file"
        case .ioFailed(let file, let operation, let code): "\(file): \(operation) failed (errno \(code))"
        case .noSpace(let file): "\(file): no space left on device"
        }
    }
}

/// The one seam between Core's storage logic and real or simulated storage: a flat directory of files.
///
/// Calls are coarse (whole records, whole files). `append` may be lost or torn until `sync` is durable;
/// `writeAtomically` replaces a file whole (write, sync, rename, sync the directory).
public protocol Disk {
    /// File names, sorted.
    func fileNames() -> [String]
    func read(_ name: String) throws(DiskError) -> [UInt8]
    /// Appends to a file, creating it if needed.
    mutating func append(_ name: String, _ bytes: [UInt8]) throws(DiskError)
    /// Makes everything appended to `name` durable (and its creation, by syncing the directory too).
    mutating func sync(_ name: String) throws(DiskError)
    mutating func writeAtomically(_ name: String, _ bytes: [UInt8]) throws(DiskError)
    mutating func truncate(_ name: String, size: Int) throws(DiskError)
    mutating func remove(_ name: String) throws(DiskError)
}
