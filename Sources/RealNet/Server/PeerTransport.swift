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

    init(loop: EventLoop, selfID: MemberID, token: String) {
        self.loop = loop
        self.selfID = selfID
        var hash = FNV1a()
        hash.mix(token.utf8)
        tokenHash = hash.value
    }

    func send(_ m: Message) {
        guard let sender = connection(to: m.to) else {
            messagesDropped += 1
            return
        }
        writer.reset()
        MessageCodec.encode(m, into: &writer)
        sender.connection?.write(writer.bytes)
        messagesSent += 1
        sentBytes[m.to, default: 0] += UInt64(writer.bytes.count)
    }

    func connection(to peer: MemberID) -> PeerSender? {
        if let sender = outgoing[peer], sender.connection?.isOpen == true { return sender }
        outgoing[peer] = nil
        guard let address = addresses[peer], tick >= retryAfterTick[peer, default: 0] else { return nil }
        retryAfterTick[peer] = tick + retryTicks
        let sender = PeerSender(transport: self, peer: peer)
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
    var buffer: [UInt8] = []
    var start = 0
    var greeted = false

    init(selfID: MemberID, tokenHash: UInt64, deliver: @escaping (Message, Int) -> Void) {
        self.selfID = selfID
        self.tokenHash = tokenHash
        self.deliver = deliver
    }

    func received(_ bytes: UnsafeRawBufferPointer, on connection: Connection) {
        buffer.append(contentsOf: bytes)
        if !greeted {
            guard buffer.count >= PeerTransport.handshakeBytes else { return }
            var reader = ByteReader(buffer[0..<PeerTransport.handshakeBytes])
            let magic = (0..<4).map { _ in (try? reader.u8()) ?? 0 }
            let version = try? reader.u8()
            let token = try? reader.u64()
            _ = try? reader.u64()
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
            start = PeerTransport.handshakeBytes
        }
        while buffer.count - start >= MessageCodec.headerSize {
            var header = ByteReader(buffer[start..<(start + 4)])
            let length = Int((try? header.u32()) ?? 0)
            guard length <= MessageCodec.frameBytesMax else { return connection.abort() }
            let end = start + MessageCodec.headerSize + length
            guard buffer.count >= end else { break }
            do {
                let message = try MessageCodec.decode(buffer[start..<end])
                start = end
                guard message.to == selfID else { continue }
                deliver(message, MessageCodec.headerSize + length)
            } catch {
                return connection.abort()  // A corrupt frame: drop the connection; Raft retransmits.
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
