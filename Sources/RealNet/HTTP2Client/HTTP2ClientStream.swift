import Core

/// A receive window whose credit goes back to the server as the owner consumes the data (not as it arrives),
/// in batches of at least a quarter of the target, as grpc-go's `inFlow` does. Unconsumed data thus holds the
/// server back: what a slow reader has not taken is bounded by the window.
struct ConsumedWindow: Sendable, Equatable {
    var window: FlowWindow
    /// What we want the server to be able to send; credit never raises the window above it.
    let target: UInt32
    /// Bytes consumed whose credit is not yet returned.
    /// Invariant: `window.size + owed <= target`.
    private(set) var owed = 0

    init(target: UInt32, initial: UInt32) {
        invariant(initial <= target, "receive window starts above its target")
        window = FlowWindow(size: initial)
        self.target = target
    }

    /// Charges received DATA (padding included).
    /// - Throws: `.exceeded` when the server sent more than the window allowed.
    mutating func receive(_ bytes: Int) throws(FlowWindowError) {
        try window.consume(bytes)
    }

    /// `bytes` were consumed: the WINDOW_UPDATE increment to send now, if enough is owed.
    mutating func consumed(_ bytes: Int) -> UInt32? {
        invariant(bytes >= 0, "negative consumed count")
        owed += bytes
        invariant(window.size + owed <= Int(target), "more consumed than received")
        guard owed > 0, owed >= Int(target) / 4 else { return nil }
        let increment = UInt32(owed)
        // Cannot fail: the window stays at or below `target` <= 2^31-1 (checked just above).
        try? window.windowUpdate(by: increment)
        owed = 0
        return increment
    }

    /// The increment that brings the window up to its target (the connection's, at the start), nil when it
    /// is there already.
    mutating func topUp() -> UInt32? {
        let shortfall = Int(target) - window.size
        guard shortfall > 0 else { return nil }
        // Cannot fail: the window ends at `target` <= 2^31-1.
        invariant(owed == 0, "a top-up with consumed credit owed")
        try? window.windowUpdate(by: UInt32(shortfall))
        invariant(window.size == Int(target), "receive window not at its target after an update")
        return UInt32(shortfall)
    }
}

/// One client stream while it is open on either side: our sending half (the server's DATA window and what is
/// queued), our receive window, and which sides have ended. A stream whose both sides ended, or that was
/// reset, is not stored.
struct HTTP2ClientStream: Sendable {
    let id: UInt32
    /// Our request body: the server's window for this stream and the DATA not yet framed.
    var outbound: StreamOutbound
    var inbound: ConsumedWindow
    /// END_STREAM was written (our side is done).
    var localEnded = false
    /// The server's END_STREAM arrived.
    var remoteEnded = false
    /// The final (non-1xx) response headers arrived; a later HEADERS is trailers.
    var responseStarted = false

    init(id: UInt32, sendWindow: UInt32, receiveWindow: UInt32) {
        invariant(id % 2 == 1, "client stream ids are odd")
        self.id = id
        outbound = StreamOutbound(window: sendWindow)
        inbound = ConsumedWindow(target: receiveWindow, initial: receiveWindow)
    }

    /// Whether DATA or the end of the request is waiting to be written.
    var hasWork: Bool { !localEnded && outbound.hasWork }
}
