import Core

/// Keepalive: server pings after idleness, and policing of client pings (grpc-go's `keepalive` and
/// `handlePing` in internal/transport/http2_server.go).
extension HTTP2ServerConnection {
    /// The opaque data of our keepalive PING (grpc-go sends zeros too; any ACK, indeed any read, will do).
    static let keepalivePingData: UInt64 = 0

    /// Periodic call (the daemon's tick): server keepalive pings and their timeout.
    public mutating func tick(now: UInt64) {
        switch phase {
        case .active, .goingAway: break
        case .preface, .closed: return
        }
        guard let lastRead = lastReadMillis else {
            lastReadMillis = now
            return
        }
        if let sent = pingSentMillis {
            if readSincePing {
                pingSentMillis = nil  // Anything read proves the client alive, as in grpc-go.
            } else if now >= sent && now - sent >= keepalive.timeoutMillis {
                phase = .closed(.keepaliveTimeout)
                return
            }
        }
        if pingSentMillis == nil && now >= lastRead && now - lastRead >= keepalive.intervalMillis {
            FrameWriter.appendPing(HTTP2ServerConnection.keepalivePingData, ack: false, into: &output)
            pingSentMillis = now
            readSincePing = false
        }
    }

    /// Counts a strike for a client PING that comes too soon; the third strike ends the connection with
    /// GOAWAY ENHANCE_YOUR_CALM "too_many_pings". Writing HEADERS or DATA since the last ping forgives all.
    mutating func policePing(now: UInt64) throws(HTTP2Error) {
        defer { lastPingReceivedMillis = now }
        if resetPingStrikes {
            resetPingStrikes = false
            pingStrikes = 0
            return
        }
        guard let last = lastPingReceivedMillis else { return }
        let elapsed = now >= last ? now - last : 0
        let minimum = streams.isEmpty && !keepalive.permitWithoutStream
            ? HTTP2KeepalivePolicy.idlePingMinMillis : keepalive.minTimeMillis
        if elapsed < minimum { pingStrikes += 1 }
        if pingStrikes > HTTP2KeepalivePolicy.pingStrikesMax {
            throw .connection(.enhanceYourCalm, debug: "too_many_pings")
        }
    }
}
