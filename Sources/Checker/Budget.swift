/// Limits on one check. When one runs out the verdict is `unknown`, naming it.
///
/// `statesMax` and `memoryBytesMax` count search work, so a check limited only by them gives the same
/// verdict on every run. `timeoutSeconds` is wall-clock time and is therefore not deterministic.
public struct Budget: Sendable {
    /// Wall-clock limit for the whole check, in seconds.
    public var timeoutSeconds: Double?
    /// Limit on the memoized search states of any one key (each is a set of linearized operations and a
    /// register value).
    public var statesMax: Int?
    /// Limit on the bytes held by the memo and the interned values of any one key (checked every few
    /// thousand steps).
    public var memoryBytesMax: Int?

    /// A budget; nil means unlimited.
    public init(timeoutSeconds: Double? = nil, statesMax: Int? = nil, memoryBytesMax: Int? = nil) {
        precondition(timeoutSeconds.map { $0 > 0 } ?? true, "timeoutSeconds must be positive")
        precondition(statesMax.map { $0 > 0 } ?? true, "statesMax must be positive")
        precondition(memoryBytesMax.map { $0 > 0 } ?? true, "memoryBytesMax must be positive")
        self.timeoutSeconds = timeoutSeconds
        self.statesMax = statesMax
        self.memoryBytesMax = memoryBytesMax
    }
}
