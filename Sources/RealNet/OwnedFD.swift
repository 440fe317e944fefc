/// A file descriptor with one owner, closed exactly once: when consumed by `close()` or at `deinit`.
///
/// Non-copyable, the shape of swift-system's `IORing`: a copy would mean two owners and a double close,
/// which the compiler now rules out. Borrow `rawValue` for calls; never close it behind the owner's back.
public struct OwnedFD: ~Copyable, Sendable {
    /// Invariant: >= 0 and open for as long as this value lives.
    public let rawValue: Int32

    /// Takes ownership of an open descriptor.
    public init(taking rawValue: Int32) {
        precondition(rawValue >= 0, "OwnedFD of a negative descriptor")
        self.rawValue = rawValue
    }

    /// `close(2)` now rather than at the end of scope.
    public consuming func close() {
        Syscall.close(rawValue)
        discard self
    }

    deinit { Syscall.close(rawValue) }
}
