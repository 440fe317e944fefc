import Core

/// How a stream that is no longer stored was closed; decides what a late frame on it means (RFC 9113
/// section 5.1, "closed").
enum StreamClosure: Sendable, Equatable {
    /// Both sides sent END_STREAM: a later DATA or HEADERS is a connection error STREAM_CLOSED.
    case ended
    /// We sent RST_STREAM: frames the client sent before seeing it are ignored.
    case resetByUs
    /// The client sent RST_STREAM: a later DATA or HEADERS is a stream error STREAM_CLOSED.
    case resetByPeer
}

/// A bounded memory of recently closed streams and of stream ids the client skipped.
///
/// Client stream ids only grow, so a frame for an id at or below the highest seen that is not open is for
/// a closed stream. Remembering the last `closedCountMax` closures tells a late frame after our reset
/// (ignore) from a protocol error; ids skipped by the client were never opened, and a HEADERS there is a
/// connection PROTOCOL_ERROR (section 5.1.1). Older closures are forgotten and treated leniently.
struct ClosedStreams: Sendable {
    static let closedCountMax = 256
    static let skippedCountMax = 16

    private var closedIDs: [UInt32] = []
    private var closures: [StreamClosure] = []
    private var nextClosed = 0
    private var skipped: [ClosedRange<UInt32>] = []
    private var nextSkipped = 0

    /// Remembers that `id` closed as `closure`, forgetting the oldest closure when full.
    mutating func record(_ id: UInt32, _ closure: StreamClosure) {
        if closedIDs.count < ClosedStreams.closedCountMax {
            closedIDs.append(id)
            closures.append(closure)
        } else {
            closedIDs[nextClosed] = id
            closures[nextClosed] = closure
            nextClosed = (nextClosed + 1) % ClosedStreams.closedCountMax
        }
        invariant(closedIDs.count == closures.count, "closed stream arrays out of step")
    }

    /// How `id` closed, if it closed recently.
    func closure(of id: UInt32) -> StreamClosure? {
        guard let index = closedIDs.lastIndex(of: id) else { return nil }
        return closures[index]
    }

    /// Remembers the ids the client skipped when it opened a stream above `highest + 2`.
    mutating func recordSkipped(after highest: UInt32, opening id: UInt32) {
        invariant(id > highest, "stream ids must grow")
        let first = highest == 0 ? 1 : highest + 2
        guard id >= first + 2 else { return }
        let range = first...(id - 2)
        if skipped.count < ClosedStreams.skippedCountMax {
            skipped.append(range)
        } else {
            skipped[nextSkipped] = range
            nextSkipped = (nextSkipped + 1) % ClosedStreams.skippedCountMax
        }
    }

    /// Whether the client skipped `id` (never opened it) in one of the remembered gaps.
    func wasSkipped(_ id: UInt32) -> Bool {
        skipped.contains { $0.contains(id) }
    }
}
