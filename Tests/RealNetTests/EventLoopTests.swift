import Glibc
import Synchronization
import Testing

@testable import RealNet

/// A tiny HTTP handler: answers each request with `{"path":…,"size":N}`; `/big` answers 8 MiB.
final class EchoHandler: ConnectionHandler {
    var parser = HTTPRequestParser()
    var request = HTTPRequest()
    var out: [UInt8] = []
    let closedCount: Counter

    init(closedCount: Counter) { self.closedCount = closedCount }

    func received(_ bytes: UnsafeRawBufferPointer, on connection: Connection) {
        parser.append(bytes)
        do {
            while try parser.next(into: &request) {
                out.removeAll(keepingCapacity: true)
                if request.pathEquals("/big") {
                    HTTPResponse.plain(status: 200, contentType: "application/octet-stream",
                                       body: [UInt8](repeating: 7, count: 8 << 20), into: &out)
                } else {
                    var json = JSONWriter()
                    json.beginObject()
                    json.key("path")
                    json.string(request.path)
                    json.key("size")
                    json.number(Int64(request.body.count))
                    json.endObject()
                    HTTPResponse.unary(json: json.bytes, close: !request.keepAlive, into: &out)
                }
                connection.write(out)
                if !request.keepAlive { connection.close() }
            }
        } catch {
            out.removeAll(keepingCapacity: true)
            HTTPResponse.parseError(error, into: &out)
            connection.write(out)
            connection.close()
        }
    }

    func closed(_ connection: Connection, error: Errno?) { closedCount.add() }
}

/// Runs a loop on its own thread; `stop()` ends and joins it.
final class RunningLoop {
    let signal: LoopSignal
    let port: Int
    var thread: NativeThread?

    init(_ setUp: (EventLoop) throws -> Int) throws {
        let loop = try EventLoop()
        port = try setUp(loop)
        signal = loop.signal
        thread = NativeThread(name: "test-loop") {
            do { try loop.run() } catch { fatalError("loop failed: \(error)") }
        }
    }

    func stop() {
        signal.requestStop()
        thread.take()?.join()
    }
}

@Suite(.serialized) struct EventLoopTests {
    @Test("pipelined HTTP requests over loopback are answered in order; Connection: close closes")
    func pipelinedHTTP() throws {
        let closed = Counter()
        let loop = try RunningLoop { loop in
            try loop.listen(host: "127.0.0.1", port: 0) { _ in EchoHandler(closedCount: closed) }.port
        }
        defer { loop.stop() }
        let client = TestClient(port: loop.port)
        defer { client.close() }
        client.send("POST /v3/kv/range HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"
            + "POST /v3/kv/put HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
            + "GET /health HTTP/1.1\r\nConnection: close\r\n\r\n")
        let bytes = client.receive { _ in false }  // Until the server closes.
        let response = String(decoding: bytes, as: UTF8.self)
        #expect(occurrences(of: "HTTP/1.1 200 OK", in: bytes) == 3)
        let range = offset(of: "{\"path\":\"/v3/kv/range\",\"size\":2}", in: bytes)
        let put = offset(of: "{\"path\":\"/v3/kv/put\",\"size\":3}", in: bytes)
        let health = offset(of: "{\"path\":\"/health\",\"size\":0}", in: bytes)
        #expect(range != nil && put != nil && health != nil)
        if let range, let put, let health {
            #expect(range < put && put < health)
        }
        #expect(response.contains("Connection: close"))
        #expect(eventually { closed.current == 1 })
    }

    @Test("a malformed request gets a 400 and the connection closes")
    func malformed() throws {
        let closed = Counter()
        let loop = try RunningLoop { loop in
            try loop.listen(host: "127.0.0.1", port: 0) { _ in EchoHandler(closedCount: closed) }.port
        }
        defer { loop.stop() }
        let client = TestClient(port: loop.port)
        defer { client.close() }
        client.send("GARBAGE\r\n\r\n")
        let response = String(decoding: client.receive { _ in false }, as: UTF8.self)
        #expect(response.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(response.hasSuffix("400 Bad Request"))
    }

    @Test("an 8 MiB response crosses partial writes and backpressure intact")
    func largeResponse() throws {
        let closed = Counter()
        let loop = try RunningLoop { loop in
            try loop.listen(host: "127.0.0.1", port: 0) { _ in EchoHandler(closedCount: closed) }.port
        }
        defer { loop.stop() }
        let client = TestClient(port: loop.port)
        defer { client.close() }
        client.send("GET /big HTTP/1.1\r\n\r\nGET /after HTTP/1.1\r\n\r\n")
        let expectedBody = 8 << 20
        let bytes = client.receive { occurrences(of: "\"path\":\"/after\"", in: Array($0.suffix(200))) == 1 }
        #expect(bytes.count > expectedBody)
        #expect(bytes.filter { $0 == 7 }.count == expectedBody)
        #expect(occurrences(of: "\"path\":\"/after\"", in: Array(bytes.suffix(200))) == 1)
    }

    @Test("many clients at once, each with its own connection state")
    func manyClients() throws {
        let closed = Counter()
        let loop = try RunningLoop { loop in
            try loop.listen(host: "127.0.0.1", port: 0) { _ in EchoHandler(closedCount: closed) }.port
        }
        defer { loop.stop() }
        let clients = (0..<20).map { _ in TestClient(port: loop.port) }
        for (k, client) in clients.enumerated() { client.send("GET /c\(k) HTTP/1.1\r\nConnection: close\r\n\r\n") }
        for (k, client) in clients.enumerated() {
            let response = String(decoding: client.receive { _ in false }, as: UTF8.self)
            #expect(response.contains("{\"path\":\"/c\(k)\",\"size\":0}"))
            client.close()
        }
        #expect(eventually { closed.current == 20 })
    }

    @Test("a repeating timer ticks")
    func timerTicks() throws {
        let ticks = Counter()
        let loop = try RunningLoop { loop in
            try loop.addTimer(every: .milliseconds(5)) { expirations in ticks.add(Int(expirations)) }
            return 0
        }
        #expect(eventually { ticks.current >= 5 })
        loop.stop()
    }

    @Test("another thread wakes the loop through its eventfd; wakes coalesce")
    func crossThreadWake() throws {
        let wakes = Counter()
        let loop = try RunningLoop { loop in
            loop.onWake = { wakes.add() }
            return 0
        }
        let waker = NativeThread(name: "waker") { [signal = loop.signal] in
            for _ in 0..<3 { signal.wake() }
        }
        waker.join()
        #expect(eventually { wakes.current >= 1 })
        #expect(wakes.current <= 3)
        loop.signal.wake()
        #expect(eventually { wakes.current >= 2 })
        loop.stop()
    }

    @Test("the disk thread's completions reach the loop through onWake")
    func diskThreadWakesLoop() throws {
        struct Echo: DiskWorker {
            mutating func perform(_ jobs: [Int], into completions: inout [Int]) { completions.append(contentsOf: jobs) }
        }
        let seen = Counter()
        let box = Mutex<DiskThread<Echo>?>(nil)
        let shared = Mutex<LoopSignal?>(nil)
        let loop = try RunningLoop { loop in
            shared.withLock { $0 = loop.signal }
            var buffer: [Int] = []
            loop.onWake = {
                box.withLock { disk in disk?.takeCompletions(into: &buffer) }
                seen.add(buffer.count)
                buffer.removeAll(keepingCapacity: true)
            }
            return 0
        }
        let signal = loop.signal
        let disk = try DiskThread(worker: Echo(), wake: { signal.wake() })
        box.withLock { $0 = disk }
        for job in 0..<50 { disk.submit(job) }
        #expect(eventually { seen.current == 50 })
        disk.stop()
        loop.stop()
    }

    final class ConnectProbe: ConnectionHandler {
        let result = Mutex<String>("")
        var text: String { result.withLock { $0 } }
        func connected(_ connection: Connection) {
            result.withLock { $0 = "connected" }
            connection.write(Array("GET /peer HTTP/1.1\r\nConnection: close\r\n\r\n".utf8))
        }
        func received(_ bytes: UnsafeRawBufferPointer, on connection: Connection) {
            result.withLock { $0 += String(decoding: bytes, as: UTF8.self) }
        }
        func closed(_ connection: Connection, error: Errno?) {
            result.withLock { $0 += error.map { " closed: \($0.rawValue)" } ?? " closed" }
        }
    }

    @Test("outgoing connections: success talks to a listener, a refused port reports the error")
    func outgoing() throws {
        let closed = Counter()
        let good = ConnectProbe()
        let refused = ConnectProbe()
        let unusedPort = try {
            let loop = try EventLoop()
            return try loop.listen(host: "127.0.0.1", port: 0) { _ in EchoHandler(closedCount: closed) }.port
        }()  // The listener closed with its loop: nothing listens there now.
        let loop = try RunningLoop { loop in
            let port = try loop.listen(host: "127.0.0.1", port: 0) { _ in EchoHandler(closedCount: closed) }.port
            try loop.connect(host: "127.0.0.1", port: port, handler: good)
            try loop.connect(host: "127.0.0.1", port: unusedPort, handler: refused)
            return port
        }
        #expect(eventually { good.text.hasSuffix(" closed") })
        #expect(good.text.hasPrefix("connected"))
        #expect(good.text.contains("\"path\":\"/peer\""))
        #expect(eventually { !refused.text.isEmpty })
        #expect(refused.text == " closed: \(Errno.connectionRefused.rawValue)")
        loop.stop()
    }

    @Test("listening on a taken port or a non-numeric host fails with Errno")
    func listenErrors() throws {
        let loop = try EventLoop()
        let closed = Counter()
        let port = try loop.listen(host: "127.0.0.1", port: 0) { _ in EchoHandler(closedCount: closed) }.port
        let other = try EventLoop()
        #expect(throws: Errno.addressInUse) {
            try other.listen(host: "127.0.0.1", port: port) { _ in EchoHandler(closedCount: closed) }
        }
        #expect(throws: Errno.invalidArgument) {
            try other.listen(host: "localhost", port: 0) { _ in EchoHandler(closedCount: closed) }
        }
    }
}
