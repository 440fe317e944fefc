import Glibc
import Testing

@testable import RealNet

/// RealNet's HTTP client (keelctl's and keelsim jepsen's) against a scripted server on loopback.
@Suite struct HTTPClientTests {
    /// Listens on 127.0.0.1 (an ephemeral port), accepts one connection on a thread, reads the request head
    /// and writes `pieces` with `pauseMs` between them, then closes.
    final class ScriptedServer: @unchecked Sendable {
        let port: Int
        private let listener: Int32
        private var thread: NativeThread?

        init(pieces: [String], pauseMs: Int, holdMs: Int = 0) {
            let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.listener = listener
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            listen(listener, 1)
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
            }
            port = Int(UInt16(bigEndian: address.sin_port))
            thread = NativeThread(name: "scripted-http") {
                let fd = accept(listener, nil, nil)
                var request: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4096)
                while offset(of: "\r\n\r\n", in: request) == nil {  // The head; a small body may follow.
                    let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if count <= 0 { break }
                    request += buffer[0..<count]
                }
                for piece in pieces {
                    _ = Array(piece.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                    usleep(UInt32(pauseMs * 1000))
                }
                usleep(UInt32(holdMs * 1000))
                close(fd)
            }
        }

        func finish() {
            thread.take()?.join()
            close(listener)
        }
    }

    @Test("a chunked stream read with deadlines shorter than its pauses survives every timeout intact")
    func resumableChunkedStream() throws {
        // Pauses fall inside a chunk size line, inside a chunk's payload, before its CRLF and in the trailers.
        let server = ScriptedServer(pieces: [
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "1", "3\r\n{\"n\":1}\n", "0123456", "789\n",
            "\r\n", "8\r\n{\"n\":2", "}\n\r\n0\r\n", "X-Trailer: 1\r\n", "\r\n",
        ], pauseMs: 60)
        defer { server.finish() }
        let connection = try HTTPClientConnection(host: "127.0.0.1", port: server.port, dialMilliseconds: 1000)
        try connection.post("/v3/watch", body: Array("{}".utf8))
        var timeouts = 0
        func soon() -> Int64 { HTTPClientConnection.nowMilliseconds() + 15 }
        while true {
            do {
                try connection.readHead(soon())
                break
            } catch .timeout { timeouts += 1 }
        }
        #expect(connection.status == 200)
        var lines = HTTPLineReader(connection)
        var received: [String] = []
        while true {
            do {
                guard let line = try lines.next(soon()) else { break }
                received.append(String(decoding: line, as: UTF8.self))
            } catch .timeout { timeouts += 1 }
        }
        #expect(received == [#"{"n":1}"#, "0123456789", #"{"n":2}"#])
        #expect(timeouts >= 4, "the reads really timed out between pieces")
    }

    @Test("Content-Length bodies, a refused port is a dial error, a silent server a timeout")
    func lengthRefusedAndTimeout() throws {
        let server = ScriptedServer(pieces: ["HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\nab", "cde"],
                                    pauseMs: 30)
        let connection = try HTTPClientConnection(host: "localhost", port: server.port, dialMilliseconds: 1000)
        try connection.post("/x", body: [])
        try connection.readHead(HTTPClientConnection.nowMilliseconds() + 2000)
        #expect(connection.status == 404)
        #expect(try connection.readBody(HTTPClientConnection.nowMilliseconds() + 2000) == Array("abcde".utf8))
        server.finish()
        #expect(throws: HTTPClientError.self) {
            _ = try HTTPClientConnection(host: "127.0.0.1", port: server.port, dialMilliseconds: 300)
        }
        let silent = ScriptedServer(pieces: [], pauseMs: 0, holdMs: 300)
        defer { silent.finish() }
        let waiting = try HTTPClientConnection(host: "127.0.0.1", port: silent.port, dialMilliseconds: 1000)
        try waiting.post("/x", body: [])
        #expect(throws: HTTPClientError.timeout) { try waiting.readHead(HTTPClientConnection.nowMilliseconds() + 50) }
    }
}
