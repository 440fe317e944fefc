import Core

/// One HTTP/2 flow-control window (RFC 9113 section 6.9): the bytes of DATA one side may still send.
///
/// Checked arithmetic in one place. The size may go negative after SETTINGS_INITIAL_WINDOW_SIZE shrinks
/// (section 6.9.2) but never above 2^31-1; a change that would pass it is a FLOW_CONTROL_ERROR.
struct FlowWindow: Sendable, Equatable {
    /// The largest legal window, 2^31-1.
    static let sizeMax: UInt32 = 2_147_483_647
    /// The window every stream and the connection start with, 65,535.
    static let defaultSize: UInt32 = 65_535

    /// Invariant: `-2^31 < size <= 2^31-1` (a shrink of at most 2^31-1 from a non-negative window).
    private(set) var size: Int

    init(size: UInt32) {
        invariant(size <= FlowWindow.sizeMax, "initial window \(size) over 2^31-1")
        self.size = Int(size)
    }

    /// Bytes that may be sent now (zero when the window is negative).
    var available: Int { max(0, size) }

    /// Takes `bytes` out of the window.
    /// - Throws: `.exceeded` when `bytes` is more than the window holds.
    mutating func consume(_ bytes: Int) throws(FlowWindowError) {
        invariant(bytes >= 0, "negative consume \(bytes)")
        guard bytes <= size else { throw .exceeded(window: size, bytes: bytes) }
        size -= bytes
        invariant(size >= 0, "window negative after a checked consume")
    }

    /// Adds a WINDOW_UPDATE increment.
    /// - Throws: `.overflow` when the window would pass 2^31-1.
    mutating func windowUpdate(by increment: UInt32) throws(FlowWindowError) {
        let grown = size + Int(increment)
        guard grown <= Int(FlowWindow.sizeMax) else { throw .overflow(window: size, change: Int(increment)) }
        size = grown
    }

    /// Applies a change of SETTINGS_INITIAL_WINDOW_SIZE (`delta` = new - old; may be negative).
    /// - Throws: `.overflow` when the window would pass 2^31-1.
    mutating func initialSizeChanged(by delta: Int) throws(FlowWindowError) {
        invariant(abs(delta) <= Int(FlowWindow.sizeMax), "initial window delta \(delta) out of range")
        let changed = size + delta
        guard changed <= Int(FlowWindow.sizeMax) else { throw .overflow(window: size, change: delta) }
        size = changed
    }
}

/// A flow-control rule broken by the peer; always FLOW_CONTROL_ERROR on the wire.
enum FlowWindowError: Error, Equatable, Sendable, CustomStringConvertible {
    case exceeded(window: Int, bytes: Int)
    case overflow(window: Int, change: Int)

    var description: String {
        switch self {
        case .exceeded(let window, let bytes): return "\(bytes) bytes sent into a window of \(window)"
        case .overflow(let window, let change): return "window \(window) + \(change) passes 2^31-1"
        }
    }
}

/// A receive window with the bytes consumed but not yet returned by WINDOW_UPDATE.
///
/// Returns credit in batches: once half the target is owed (grpc-go's `inFlow` does the same at a quarter),
/// so one small DATA frame does not cost one WINDOW_UPDATE.
struct ReceiveWindow: Sendable, Equatable {
    var window: FlowWindow
    /// What we want the peer to be able to send; the window is topped up towards it.
    var target: UInt32
    /// Bytes received and handed on whose credit is not yet returned.
    private(set) var owed: Int = 0

    init(target: UInt32, initial: UInt32) {
        self.window = FlowWindow(size: initial)
        self.target = target
    }

    /// Charges a received DATA frame (padding included) and counts it as consumed at once.
    mutating func receive(_ bytes: Int) throws(FlowWindowError) {
        try window.consume(bytes)
        owed += bytes
    }

    /// The WINDOW_UPDATE increment to send now, if enough is owed (or the window fell below half its target).
    mutating func takeUpdate() -> UInt32? {
        guard owed >= Int(target) / 2 || window.size <= Int(target) / 2 else { return nil }
        return topUp()
    }

    /// The increment that brings the window back to its target, nil when it is there already.
    mutating func topUp() -> UInt32? {
        let shortfall = Int(target) - window.size
        guard shortfall > 0 else { return nil }
        // Cannot fail: the window ends at `target` <= 2^31-1.
        try? window.windowUpdate(by: UInt32(shortfall))
        invariant(window.size == Int(target), "receive window not at its target after an update")
        owed = 0
        return UInt32(shortfall)
    }
}
