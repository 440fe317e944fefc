import Foundation  // Process (openssl, the PKI script) and files in tests.
import Glibc
import Synchronization
import Testing

@testable import RealNet

/// Certificates for the loop's TLS tests, made once per test process by scripts/make-test-pki.sh.
enum LoopPKI {
    static let dir: String = {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let dir = NSTemporaryDirectory() + "keel-tls-loop-\(getpid())"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [root.path + "/scripts/make-test-pki.sh", dir]
        try? process.run()
        process.waitUntilExit()
        return dir
    }()

    static func path(_ name: String) -> String { dir + "/" + name }

    static func server(demandClientCertificate: Bool = true) -> TLSSettings {
        var settings = TLSSettings()
        settings.certFile = path("server.pem")
        settings.keyFile = path("server.key")
        if demandClientCertificate { settings.trustedCAFile = path("ca.pem") }
        return settings
    }

    static func client(_ name: String? = "client") -> TLSSettings {
        var settings = TLSSettings()
        settings.trustedCAFile = path("ca.pem")
        if let name {
            settings.certFile = path("\(name).pem")
            settings.keyFile = path("\(name).key")
        }
        return settings
    }
}

/// A value several threads share (a `Mutex` in a class, so it can be passed around).
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}

/// Echoes every byte back.
final class TLSEcho: ConnectionHandler {
    let peers: Shared<[TLSPeer]>
    init(peers: Shared<[TLSPeer]>) { self.peers = peers }
    func connected(_ connection: Connection) {
        if let peer = connection.tlsPeer { peers.withLock { $0.append(peer) } }
    }
    func received(_ bytes: UnsafeRawBufferPointer, on connection: Connection) { connection.write(bytes) }
    func closed(_ connection: Connection, error: Errno?) {}
}

/// Sends `payload` once connected and collects what comes back.
final class TLSSender: ConnectionHandler, @unchecked Sendable {  // Written on the loop thread, read after a wait.
    let payload: [UInt8]
    let state = Mutex<(received: [UInt8], peer: TLSPeer?, closed: Bool, error: Errno?)>(([], nil, false, nil))
    init(payload: [UInt8]) { self.payload = payload }
    func connected(_ connection: Connection) {
        state.withLock { $0.peer = connection.tlsPeer }
        connection.write(payload)
    }
    func received(_ bytes: UnsafeRawBufferPointer, on connection: Connection) {
        state.withLock { $0.received.append(contentsOf: bytes) }
    }
    func closed(_ connection: Connection, error: Errno?) {
        state.withLock {
            $0.closed = true
            $0.error = error
        }
    }
    var receivedCount: Int { state.withLock { $0.received.count } }
}

/// A blocking loopback socket for raw bytes: what a broken or hostile client sends.
struct RawClient {
    let fd: Int32

    init(port: Int) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }

    func send(_ text: [UInt8]) { _ = text.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) } }

    /// Everything until the peer closes (or 5 s pass): the bytes, and whether it closed.
    func readToEnd() -> (bytes: [UInt8], closed: Bool) {
        var all: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return (all, true) }
            if n < 0 { return (all, errno == ECONNRESET) }
            all.append(contentsOf: buffer[..<n])
        }
    }

    func close() { Glibc.close(fd) }
}

@Suite(.serialized) struct TLSLoopTests {
    /// A server loop with a TLS echo listener (handshakes time out after `handshakeMilliseconds`).
    static func server(_ settings: TLSSettings = LoopPKI.server(), handshakeMilliseconds: Int = 10_000,
                       failures: Shared<[String]>, peers: Shared<[TLSPeer]>) throws -> RunningLoop {
        try RunningLoop { loop in
            let endpoint = try TLSEndpoint(server: settings, handshakeMilliseconds: handshakeMilliseconds)
            loop.onTLSFailure = { _, _, reason in failures.withLock { $0.append(reason) } }
            return try loop.listen(host: "127.0.0.1", port: 0, tls: endpoint) { _ in TLSEcho(peers: peers) }.port
        }
    }

    /// Dials `port` with the loop's TLS client and sends `payload`; waits until it is echoed or `seconds` pass.
    static func echo(port: Int, payload: [UInt8], client: TLSSettings = LoopPKI.client(), alpn: [String] = ["h2"],
                     serverName: String? = nil, seconds: Double = 10) throws -> TLSSender {
        let sender = TLSSender(payload: payload)
        let loop = try RunningLoop { loop in
            let endpoint = try TLSEndpoint(client: client, alpn: alpn)
            try loop.connect(host: "127.0.0.1", port: port, tls: endpoint, serverName: serverName, handler: sender)
            return 0
        }
        defer { loop.stop() }
        let deadline = Date().addingTimeInterval(seconds)
        while sender.receivedCount < payload.count && !sender.state.withLock({ $0.closed }) && Date() < deadline {
            usleep(5_000)
        }
        return sender
    }

    @Test("a megabyte each way through the loop's own TLS client and server; ALPN, version and CN seen on both sides")
    func echoMegabyte() throws {
        let failures = Shared<[String]>([]), peers = Shared<[TLSPeer]>([])
        let server = try Self.server(failures: failures, peers: peers)
        defer { server.stop() }
        let payload = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        let sender = try Self.echo(port: server.port, payload: payload)
        let state = sender.state.withLock { $0 }
        #expect(state.received == payload)
        #expect(state.peer?.alpn == "h2" && state.peer?.commonName == "server" && state.peer?.version == "TLSv1.3",
                "\(String(describing: state.peer))")
        #expect(peers.withLock { $0 } == [TLSPeer(version: "TLSv1.3", alpn: "h2", commonName: "root")])
        #expect(failures.withLock { $0 }.isEmpty)
        // A client offering http/1.1 as well gets it (curl gets the gateway); one offering none gets none.
        let curlLike = try Self.echo(port: server.port, payload: [1, 2, 3], alpn: ["h2", "http/1.1"])
        #expect(curlLike.state.withLock { $0.peer?.alpn } == "http/1.1")
        let bare = try Self.echo(port: server.port, payload: [1, 2, 3], alpn: [])
        #expect(bare.state.withLock { $0.peer?.alpn } == nil && bare.receivedCount == 3)
    }

    @Test("refused handshakes fail alone: no client certificate, an unknown CA, a server name that does not match")
    func refusedHandshakes() throws {
        let failures = Shared<[String]>([]), peers = Shared<[TLSPeer]>([])
        let server = try Self.server(failures: failures, peers: peers)
        defer { server.stop() }
        let noCert = try Self.echo(port: server.port, payload: [1], client: LoopPKI.client(nil), seconds: 5)
        #expect(noCert.state.withLock { $0.closed && $0.received.isEmpty })
        var otherCA = LoopPKI.client()
        otherCA.trustedCAFile = LoopPKI.path("other-ca.pem")
        let untrusted = try Self.echo(port: server.port, payload: [1], client: otherCA, seconds: 5)
        #expect(untrusted.state.withLock { $0.closed && $0.received.isEmpty && $0.peer == nil })
        let misnamed = try Self.echo(port: server.port, payload: [1], serverName: "db.example.com", seconds: 5)
        #expect(misnamed.state.withLock { $0.closed && $0.received.isEmpty && $0.error != nil })
        let named = try Self.echo(port: server.port, payload: [1], serverName: "localhost", seconds: 5)
        #expect(named.state.withLock { $0.received } == [1])
        let good = try Self.echo(port: server.port, payload: Array("still serving".utf8))
        #expect(good.state.withLock { $0.received } == Array("still serving".utf8))
        let reasons = failures.withLock { $0 }
        #expect(reasons.contains("peer did not return a certificate"), "\(reasons)")
        #expect(reasons.contains { $0.hasSuffix("alert unknown ca") }, "\(reasons)")
        #expect(TLSFailureWording.goStyle("peer did not return a certificate", isServer: true)
                == "tls: client didn't provide a certificate")
    }

    @Test("bad input on a TLS port: a stalled handshake is dropped at its deadline, plain HTTP gets Go's 400, garbage fails alone")
    func badInput() throws {
        let failures = Shared<[String]>([]), peers = Shared<[TLSPeer]>([])
        let server = try Self.server(handshakeMilliseconds: 400, failures: failures, peers: peers)
        defer { server.stop() }
        let stalled = RawClient(port: server.port)
        defer { stalled.close() }
        let started = Date()
        // While one client stalls, others are served.
        let served = try Self.echo(port: server.port, payload: Array("meanwhile".utf8))
        #expect(served.state.withLock { $0.received } == Array("meanwhile".utf8))
        let stalledEnd = stalled.readToEnd()
        let waited = Date().timeIntervalSince(started)
        #expect(stalledEnd.closed && stalledEnd.bytes.isEmpty && waited >= 0.35 && waited < 3, "\(waited)")
        #expect(failures.withLock { $0 }.contains("TLS handshake timed out"))

        let plain = RawClient(port: server.port)
        plain.send(Array("GET /v3/kv/range HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        let answer = plain.readToEnd()
        plain.close()
        #expect(String(decoding: answer.bytes, as: UTF8.self)
                == "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")

        var generator = SystemRandomNumberGenerator()
        for size in [1, 5, 300, 70_000] {
            let garbage = RawClient(port: server.port)
            garbage.send((0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) | 0x80 })
            let end = garbage.readToEnd()
            garbage.close()
            #expect(end.closed, "garbage of \(size) bytes: connection left open")
        }
        let after = try Self.echo(port: server.port, payload: Array("after".utf8))
        #expect(after.state.withLock { $0.received } == Array("after".utf8))
    }

    @Test("renegotiation is refused (openssl s_client's R) and the loop serves on")
    func renegotiation() throws {
        let failures = Shared<[String]>([]), peers = Shared<[TLSPeer]>([])
        let server = try Self.server(failures: failures, peers: peers)
        defer { server.stop() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["s_client", "-tls1_2", "-connect", "127.0.0.1:\(server.port)", "-CAfile",
                             LoopPKI.path("ca.pem"), "-cert", LoopPKI.path("client.pem"), "-key", LoopPKI.path("client.key")]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        usleep(500_000)
        input.fileHandleForWriting.write(Data("R\n".utf8))
        usleep(500_000)
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate() }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text.contains("RENEGOTIATING") && text.contains("no renegotiation"), "\(text.suffix(800))")
        let after = try Self.echo(port: server.port, payload: Array("after".utf8))
        #expect(after.state.withLock { $0.received } == Array("after".utf8))
    }

    @Test("certificates are re-read for new connections: a rotated certificate serves the next handshake")
    func rotation() throws {
        let dir = NSTemporaryDirectory() + "keel-tls-rotation-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func install(_ name: String) throws {
            for ext in ["pem", "key"] {
                let target = dir + "/live.\(ext)"
                try? FileManager.default.removeItem(atPath: target)
                try FileManager.default.copyItem(atPath: LoopPKI.path("\(name).\(ext)"), toPath: target)
            }
        }
        try install("server")
        var settings = LoopPKI.server()
        settings.certFile = dir + "/live.pem"
        settings.keyFile = dir + "/live.key"
        let failures = Shared<[String]>([]), peers = Shared<[TLSPeer]>([])
        let server = try Self.server(settings, failures: failures, peers: peers)
        defer { server.stop() }
        let before = try Self.echo(port: server.port, payload: [7])
        #expect(before.state.withLock { $0.peer?.commonName } == "server")
        try install("intruder")  // Same CA, CN=intruder, valid for 127.0.0.1.
        usleep(1_100_000)  // Files are compared at most once a second.
        let after = try Self.echo(port: server.port, payload: [7])
        #expect(after.state.withLock { $0.peer?.commonName } == "intruder")
        #expect(after.receivedCount == 1)
    }
}
