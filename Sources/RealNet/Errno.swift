import Glibc

/// A failed system call's `errno`: an environment failure, never a bug (bugs trap in `Syscall`).
///
/// A struct with named statics rather than an enum, as swift-system's `Errno`, so that any code the
/// kernel returns can be carried and printed.
public struct Errno: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// EINTR: retried inside `Syscall`, never seen by callers.
    public static let interrupted = Errno(rawValue: EINTR)
    /// EAGAIN: becomes `IOResult.wouldBlock`, never thrown.
    public static let wouldBlock = Errno(rawValue: EAGAIN)
    public static let notFound = Errno(rawValue: ENOENT)
    public static let exists = Errno(rawValue: EEXIST)
    public static let noSpace = Errno(rawValue: ENOSPC)
    public static let quotaExceeded = Errno(rawValue: EDQUOT)
    public static let invalidArgument = Errno(rawValue: EINVAL)
    public static let inProgress = Errno(rawValue: EINPROGRESS)
    public static let addressInUse = Errno(rawValue: EADDRINUSE)
    public static let addressNotAvailable = Errno(rawValue: EADDRNOTAVAIL)
    public static let connectionRefused = Errno(rawValue: ECONNREFUSED)
    public static let connectionReset = Errno(rawValue: ECONNRESET)
    public static let connectionAborted = Errno(rawValue: ECONNABORTED)
    public static let brokenPipe = Errno(rawValue: EPIPE)
    public static let tooManyOpenFiles = Errno(rawValue: EMFILE)
    public static let tooManyOpenFilesInSystem = Errno(rawValue: ENFILE)
    public static let timedOut = Errno(rawValue: ETIMEDOUT)
    public static let permissionDenied = Errno(rawValue: EACCES)
    public static let notDirectory = Errno(rawValue: ENOTDIR)

    /// `strerror` text and the number, e.g. `Connection refused (errno 111)`.
    public var description: String {
        guard let text = strerror(rawValue) else { return "errno \(rawValue)" }
        return "\(String(cString: text)) (errno \(rawValue))"
    }
}

/// What a non-blocking call did: the work, or nothing because it would block (NIO's `IOResult`).
public enum IOResult<Value: ~Copyable>: ~Copyable {
    case processed(Value)
    case wouldBlock
}

extension IOResult: Copyable where Value: Copyable {}
extension IOResult: Sendable where Value: Sendable {}
extension IOResult: Equatable where Value: Equatable {}
