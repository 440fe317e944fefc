import Core

/// Raft messages between members: one outgoing TCP connection per peer carrying `MessageCodec` frames
/// (length + CRC-32C), after a handshake that names the cluster token and both members. Incoming
/// connections are read by `PeerReceiver`. A lost connection is re-established on the next send, at
/// most every `retryTicks`; Raft retransmits whatever was lost in between.
final class PeerTransport {
    static let magic: [UInt8] = Array("KEEL".utf8)
    static let handshakeBytes = 4 + 1 + 8 + 8 + 8
    static let rejectToken: UInt8 = 1
    static let rejectMember: UInt8 = 2

    let loop: EventLoop
    let selfID: MemberID
    let tokenHash: UInt64
    /// Where each peer listens, from --initial-cluster and from the applied membership.
    var addresses: [MemberID: HostPort] = [:]
    /// Dials https:// peers (nil: no peer URL is https://).
    var dialTLS: TLSEndpoint?
    var outgoing: [MemberID: PeerSender] = [:]
    var retryAfterTick: [MemberID: UInt64] = [:]
    var tick: UInt64 = 0
    let retryTicks: UInt64 = 1
    var writer = ByteWriter(capacity: 1 << 16)
    /// Called when a peer rejects our handshake because of the cluster token (a fatal misconfiguration).
    var onTokenRejected: ((MemberID) -> Void)?
    var messagesSent: UInt64 = 0
    var messagesDropped: UInt64 = 0
    /// Frame bytes written to and read from each peer (etcd_network_peer_sent/received_bytes_total).
    var sentBytes: [MemberID: UInt64] = [:]
    var receivedBytes: [MemberID: UInt64] = [:]
    /// Messages to each peer dropped for want of a connection, and connections to it lost with whatever was
    /// written into them (etcd_network_peer_sent_failures_total: etcd counts both, a dropped message and a
    /// failed stream write).
    var sentFailures: [MemberID: UInt64] = [:]
    /// `closeAll` is closing our connections: their ends are not failures.
    var closing = false
    /// Connections from each peer dropped for a bad frame (etcd_network_peer_received_failures_total).
    var receivedFailures: [MemberID: UInt64] = [:]
    /// Round-trip times to each peer, in etcd's buckets (etcd_network_peer_round_trip_time_seconds).
    var roundTrips: [MemberID: Histogram] = [:]
    /// The heartbeat being timed to each peer: when it was written (monotonic nanoseconds).
    var heartbeatSentAt: [MemberID: UInt64] = [:]
    /// Heartbeats written to each peer (on the current connection, in the current term) not yet answered.
    var heartbeatsUnanswered: [MemberID: Int] = [:]
    /// Unanswered heartbeats after which their responses are taken as lost (a connection from the peer
    /// dropped): the count starts again, so timing does too.
    static let heartbeatsUnansweredMax = 64
    /// The last heartbeat written to each peer: its term and when (etcd's heartbeat send-failure detector).
    var lastHeartbeat: [MemberID: (term: Term, at: UInt64)] = [:]
    /// Heartbeats written more than two heartbeat intervals after the one before to the same peer, in one
    /// term (etcd_server_heartbeat_send_failures_total: the leader is overloaded, or its disk is slow).
    var heartbeatSendFailures: UInt64 = 0
    /// Append messages written to peers and read from them (etcd's `sendAppendRequestCnt`,
    /// `recvAppendRequestCnt` in `/v2/stats/self`).
    var appendsSent: UInt64 = 0
    var appendsReceived: UInt64 = 0
    /// Each peer's round trips as `/v2/stats/leader` shows them (the same samples as `roundTrips`).
    var followerLatency: [MemberID: V2FollowerLatency] = [:]
    /// --heartbeat-interval, in nanoseconds.
    let heartbeatNanoseconds: UInt64

    init(loop: EventLoop, selfID: MemberID, token: String, heartbeatMilliseconds: Int = 100) {
        precondition(heartbeatMilliseconds > 0, "the heartbeat interval must be positive")
        self.loop = loop
        self.selfID = selfID
        var hash = FNV1a()
        hash.mix(token.utf8)
        tokenHash = hash.value
        heartbeatNanoseconds = UInt64(heartbeatMilliseconds) * 1_000_000
    }

    func send(_ m: Message) {
        guard let sender = connection(to: m.to) else {
            messagesDropped += 1
            sentFailures[m.to, default: 0] += 1
            return
        }
        writer.reset()
        MessageCodec.encode(m, into: &writer)
        sender.connection?.write(writer.bytes)
        messagesSent += 1
        sentBytes[m.to, default: 0] += UInt64(writer.bytes.count)
        if case .heartbeat = m.body { heartbeatWritten(m) }
        if case .append = m.body { appendsSent += 1 }
    }

    /// Times heartbeats: a heartbeat written to a peer when every earlier one has been answered starts a round
    /// trip, which that peer's next heartbeat response ends (`received`). Core stays clock-free; the loop keeps
    /// the time.
    ///
    /// A peer answers each heartbeat once, in order (TCP, and one loop), so the first response after the timed
    /// heartbeat was written is its own. A new term or a new connection to the peer starts the count again.
    /// Only a leader sends heartbeats, so only a leader has round-trip samples (etcd probes from every member).
    func heartbeatWritten(_ m: Message) {
        let now = UInt64(EventLoop.monotonicNanoseconds())
        if let last = lastHeartbeat[m.to], last.term == m.term {
            if now - last.at > 2 * heartbeatNanoseconds { heartbeatSendFailures += 1 }
        } else {
            forgetHeartbeats(to: m.to)  // A new term: whatever was unanswered went to an old leader.
        }
        lastHeartbeat[m.to] = (m.term, now)
        if heartbeatsUnanswered[m.to, default: 0] >= PeerTransport.heartbeatsUnansweredMax {
            forgetHeartbeats(to: m.to)  // maybe: responses lost with the peer's connection to us.
        }
        if heartbeatsUnanswered[m.to, default: 0] == 0 { heartbeatSentAt[m.to] = now }
        heartbeatsUnanswered[m.to, default: 0] += 1
    }

    /// Stops timing heartbeats to `peer` and forgets those unanswered.
    func forgetHeartbeats(to peer: MemberID) {
        heartbeatSentAt[peer] = nil
        heartbeatsUnanswered[peer] = nil
    }

    /// A message arrived from a peer in a frame of `bytes` bytes: counts it, and ends a timed round trip.
    func received(_ m: Message, bytes: Int) {
        receivedBytes[m.from, default: 0] += UInt64(bytes)
        if case .append = m.body { appendsReceived += 1 }
        guard case .heartbeatResponse = m.body, let unanswered = heartbeatsUnanswered[m.from], unanswered > 0 else {
            return
        }
        heartbeatsUnanswered[m.from] = unanswered - 1
        guard let sent = heartbeatSentAt.removeValue(forKey: m.from) else { return }
        let now = UInt64(EventLoop.monotonicNanoseconds())
        roundTrips[m.from, default: Histogram(bounds: Histogram.etcdRoundTripBuckets)]
            .observe(Double(now - sent) / 1e9)
        followerLatency[m.from, default: V2FollowerLatency()].observe(milliseconds: Double(now - sent) / 1e6)
    }

    func connection(to peer: MemberID) -> PeerSender? {
        if let sender = outgoing[peer], sender.connection?.isOpen == true { return sender }
        outgoing[peer] = nil
        guard let address = addresses[peer], tick >= retryAfterTick[peer, default: 0] else { return nil }
        retryAfterTick[peer] = tick + retryTicks
        let sender = PeerSender(transport: self, peer: peer)
        forgetHeartbeats(to: peer)  // maybe: unanswered heartbeats went down with the old connection.
        do {
            let tls = address.secure ? dialTLS : nil
            if address.secure && tls == nil { return nil }  // maybe: an https:// peer added later without peer TLS.
            sender.connection = try loop.connect(host: address.host, port: address.port, tls: tls, handler: sender)
        } catch {
            return nil
        }
        var hello = ByteWriter(capacity: PeerTransport.handshakeBytes)
        hello.bytes.append(contentsOf: PeerTransport.magic)
        hello.u8(1)
        hello.u64(tokenHash)
        hello.u64(selfID.value)
        hello.u64(peer.value)
        sender.connection!.write(hello.bytes)
        outgoing[peer] = sender
        return sender
    }

    func closeAll() {
        closing = true
        for peer in outgoing.keys.sorted() { outgoing[peer]?.connection?.close() }
        outgoing.removeAll()
    }
}

/// Our side of an outgoing peer connection: it only writes; the one thing it reads is a rejection.
final class PeerSender: ConnectionHandler {
    unowned let transport: PeerTransport
    let peer: MemberID
    var connection: Connection?

    init(transport: PeerTransport, peer: MemberID) {
        self.transport = transport
        self.peer = peer
    }

    func received(_ bytes: UnsafeRawBufferPointer, on connection: Connection) {
        if bytes.first == PeerTransport.rejectToken { transport.onTokenRejected?(peer) }
        connection.close()
    }

    func closed(_ connection: Connection, error: Errno?) {
        if !transport.closing { transport.sentFailures[peer, default: 0] += 1 }  // Refused, reset or ended.
        if transport.outgoing[peer] === self { transport.outgoing[peer] = nil }
        self.connection = nil
    }
}

/// An incoming peer connection: checks the handshake, then decodes frames and hands each message on.
final class PeerReceiver: ConnectionHandler {
    let selfID: MemberID
    let tokenHash: UInt64
    /// Hands on each message with the size of its frame.
    let deliver: (Message, Int) -> Void
    /// Where a bad frame from a peer is counted (etcd_network_peer_received_failures_total).
    weak var transport: PeerTransport?
    var buffer: [UInt8] = []
    var start = 0
    var greeted = false
    /// The member the handshake named as the sender.
    var peer = MemberID.none

    init(selfID: MemberID, tokenHash: UInt64, transport: PeerTransport? = nil,
         deliver: @escaping (Message, Int) -> Void) {
        self.selfID = selfID
        self.tokenHash = tokenHash
        self.transport = transport
        self.deliver = deliver
    }

    /// Counts the failure (once greeted, the sender is known), then drops the connection.
    func abort(_ connection: Connection) {
        if greeted { transport?.receivedFailures[peer, default: 0] += 1 }
        connection.abort()
    }

    func received(_ bytes: UnsafeRawBufferPointer, on connection: Connection) {
        buffer.append(contentsOf: bytes)
        if !greeted {
            guard buffer.count >= PeerTransport.handshakeBytes else { return }
            var reader = ByteReader(buffer[0..<PeerTransport.handshakeBytes])
            let magic = (0..<4).map { _ in (try? reader.u8()) ?? 0 }
            let version = try? reader.u8()
            let token = try? reader.u64()
            let from = try? reader.u64()
            let to = try? reader.u64()
            guard magic == PeerTransport.magic, version == 1 else { return connection.abort() }
            if token != tokenHash {
                connection.write([PeerTransport.rejectToken])
                return connection.close()
            }
            if to != selfID.value {
                connection.write([PeerTransport.rejectMember])
                return connection.close()
            }
            greeted = true
            peer = MemberID(from ?? 0)
            start = PeerTransport.handshakeBytes
        }
        while buffer.count - start >= MessageCodec.headerSize {
            var header = ByteReader(buffer[start..<(start + 4)])
            let length = Int((try? header.u32()) ?? 0)
            guard length <= MessageCodec.frameBytesMax else { return abort(connection) }
            let end = start + MessageCodec.headerSize + length
            guard buffer.count >= end else { break }
            do {
                let message = try MessageCodec.decode(buffer[start..<end])
                start = end
                guard message.to == selfID else { continue }
                deliver(message, MessageCodec.headerSize + length)
            } catch {
                return abort(connection)  // A corrupt frame: drop the connection; Raft retransmits.
            }
        }
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 1 << 20 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
    }

    func closed(_ connection: Connection, error: Errno?) {}
}
