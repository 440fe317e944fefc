import Foundation  // Process, temporary directories and JSON parsing in tests.
import Glibc

/// A `keel` process started for a test, with its own data dir and ports on 127.0.0.1.
final class KeelProcess {
    let name: String
    let clientPort: Int
    let peerPort: Int
    let dataDir: String
    let logPath: String
    var process: Process?
    var arguments: [String]

    static func binary() -> String {
        var dir = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { dir.deleteLastPathComponent() }
        return dir.appendingPathComponent(".build/debug/keel").path
    }

    /// Ports no other test in this process uses; spread by pid so parallel test runs do not clash.
    nonisolated(unsafe) static var nextPort = 10000 + Int(getpid() % 350) * 20
    static let portLock = NSLock()
    static func ports(_ count: Int) -> Int {
        portLock.lock()
        defer { portLock.unlock() }
        let base = nextPort
        nextPort += count * 2 + 2
        return base
    }

    static func tempDir() -> String {
        let path = NSTemporaryDirectory() + "keel-test-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    init(name: String, clientPort: Int, peerPort: Int, root: String, extra: [String] = []) {
        self.name = name
        self.clientPort = clientPort
        self.peerPort = peerPort
        dataDir = root + "/\(name).keel"
        logPath = root + "/\(name).log"
        arguments = ["--name", name, "--data-dir", dataDir,
                     "--listen-client-urls", "http://127.0.0.1:\(clientPort)",
                     "--advertise-client-urls", "http://127.0.0.1:\(clientPort)",
                     "--listen-peer-urls", "http://127.0.0.1:\(peerPort)",
                     "--initial-advertise-peer-urls", "http://127.0.0.1:\(peerPort)"] + extra
    }

    var peerURL: String { "http://127.0.0.1:\(peerPort)" }

    /// Starts the process (stderr appended to its log).
    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: KeelProcess.binary())
        process.arguments = arguments
        if !FileManager.default.fileExists(atPath: logPath) {
            FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.standardError = log
        process.standardOutput = log
        try process.run()
        self.process = process
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits until the log shows `text` `count` times, or the deadline passes.
    func waitForLog(_ text: String, count: Int = 1, seconds: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if log.components(separatedBy: text).count - 1 >= count { return true }
            if let process, !process.isRunning { return false }
            usleep(50_000)
        }
        return false
    }

    func kill9() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop() -> Int32 {
        guard let process else { return -1 }
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Runs keel to completion with these arguments (for start-up errors). - Returns: status and output.
    static func runToExit(_ arguments: [String], seconds: Double = 15) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary())
        process.arguments = arguments
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        try? process.run()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// A cluster of keel processes on loopback, started the way etcd's docs start one.
final class KeelCluster {
    var members: [KeelProcess] = []
    let root = KeelProcess.tempDir()
    let token = "test-\(UUID().uuidString.prefix(6))"

    init(size: Int, extra: [String] = []) throws {
        let base = KeelProcess.ports(size)
        for k in 0..<size {
            members.append(KeelProcess(name: "m\(k)", clientPort: base + 2 * k, peerPort: base + 2 * k + 1,
                                       root: root, extra: extra))
        }
        let cluster = members.map { "\($0.name)=\($0.peerURL)" }.joined(separator: ",")
        for member in members {
            member.arguments += ["--initial-cluster", cluster, "--initial-cluster-token", token,
                                 "--initial-cluster-state", "new"]
            try member.start()
        }
        for member in members where !member.waitForLog("ready to serve client requests") {
            throw ClusterError.notReady(member.name, member.log)
        }
    }

    func stopAll() {
        for member in members { _ = member.stop() }
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Waits for a leader to be known (an election may be under way).
    func waitForLeader(seconds: Double = 15) -> KeelProcess? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let leader = leader() { return leader }
            usleep(100_000)
        }
        return nil
    }

    /// The member that currently leads, asked through each member's status.
    func leader() -> KeelProcess? {
        for member in members where member.process?.isRunning == true {
            guard let status = try? HTTP.post(member.clientPort, "/v3/maintenance/status", "{}").json,
                  let leader = status["leader"] as? String, let me = (status["header"] as? [String: Any])?["member_id"]
                    as? String else { continue }
            if leader == me { return member }
        }
        return nil
    }
}

enum ClusterError: Error {
    case notReady(String, String)
}

/// A blocking HTTP/1.1 client on raw sockets (one request per connection).
enum HTTP {
    struct Response {
        var status: Int
        var headers: [String: String]
        var body: String
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        }
    }

    static func connect(_ port: Int, timeoutSeconds: Int = 10) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if result != 0 {
            close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
        return fd
    }

    static func send(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        let total = bytes.count
        var sent = 0
        while sent < total {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + sent, total - sent) }
            if n <= 0 { return }
            sent += n
        }
    }

    static func request(_ method: String, _ port: Int, _ path: String, _ body: String) -> String {
        "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\n\r\n\(body)"
    }

    static func post(_ port: Int, _ path: String, _ body: String, timeoutSeconds: Int = 10) throws -> Response {
        try raw(port, request("POST", port, path, body), timeoutSeconds: timeoutSeconds)
    }

    /// Sends raw bytes and reads the answer until the server closes.
    static func raw(_ port: Int, _ text: String, timeoutSeconds: Int = 10) throws -> Response {
        let fd = try connect(port, timeoutSeconds: timeoutSeconds)
        defer { close(fd) }
        send(fd, text)
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
            if n <= 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        return parse(String(decoding: data, as: UTF8.self))
    }

    static func parse(_ text: String) -> Response {
        guard let split = text.range(of: "\r\n\r\n") else { return Response(status: 0, headers: [:], body: text) }
        let head = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let status = Int(head.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            if let colon = line.firstIndex(of: ":") {
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        var body = String(text[split.upperBound...])
        if headers["transfer-encoding"] == "chunked" { body = dechunk(body) }
        return Response(status: status, headers: headers, body: body)
    }

    /// A chunked body's data, by bytes (in Swift "\r\n" is one Character: dropping characters after a chunk
    /// would take the next size's first digit with it).
    static func dechunk(_ text: String) -> String {
        var out: [UInt8] = []
        let bytes = Array(text.utf8)
        var at = 0
        while let lineEnd = (at..<max(at, bytes.count - 1)).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }),
              let size = Int(String(decoding: bytes[at..<lineEnd], as: UTF8.self), radix: 16), size > 0 {
            let start = lineEnd + 2
            guard bytes.count - start >= size else { break }
            out += bytes[start..<start + size]
            at = start + size + 2
        }
        return String(decoding: out, as: UTF8.self)
    }
}

func b64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
func unb64(_ text: String?) -> String? { text.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) } }

/// A put; returns the HTTP status.
@discardableResult
func put(_ port: Int, _ key: String, _ value: String, extra: String = "") throws -> HTTP.Response {
    try HTTP.post(port, "/v3/kv/put", #"{"key":"\#(b64(key))","value":"\#(b64(value))"\#(extra)}"#)
}

/// A get: the value, nil if absent.
func get(_ port: Int, _ key: String, serializable: Bool = false) throws -> String? {
    let response = try HTTP.post(port, "/v3/kv/range", #"{"key":"\#(b64(key))","serializable":\#(serializable)}"#)
    let kvs = response.json["kvs"] as? [[String: Any]]
    return unb64(kvs?.first?["value"] as? String)
}
