import Glibc
import Synchronization

@testable import RealNet

/// A fresh directory under /tmp, removed (files first) by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() {
        var template = Array("/tmp/keel-realnet-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
    }

    func remove() {
        for name in (try? Syscall.listDirectory(path)) ?? [] { _ = unlink(path + "/" + name) }
        _ = rmdir(path)
    }
}

/// Polls `condition` every millisecond for at most `seconds`; true if it became true.
func eventually(seconds: Double = 5, _ condition: () -> Bool) -> Bool {
    let deadline = EventLoop.monotonicNanoseconds() + Int64(seconds * 1e9)
    while EventLoop.monotonicNanoseconds() < deadline {
        if condition() { return true }
        usleep(1000)
    }
    return condition()
}

/// A blocking loopback client with a receive timeout, for driving a loop on another thread.
struct TestClient {
    let fd: Int32

    init(port: Int) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        precondition(fd >= 0, "socket failed")
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
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
        precondition(result == 0, "connect failed: \(Errno(rawValue: errno))")
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        var done = 0
        while done < bytes.count {
            let sent = bytes[done...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            precondition(sent > 0, "send failed")
            done += sent
        }
    }

    /// Reads until `done` says the bytes so far are complete, EOF, or the 5 s timeout.
    func receive(until done: ([UInt8]) -> Bool) -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !done(received) {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            received.append(contentsOf: buffer[..<count])
        }
        return received
    }

    func close() { _ = Glibc.close(fd) }
}

/// The first offset of `needle` in `bytes`.
func offset(of needle: String, in bytes: [UInt8]) -> Int? {
    let pattern = Array(needle.utf8)
    guard bytes.count >= pattern.count else { return nil }
    return (0...(bytes.count - pattern.count)).first { Array(bytes[$0..<$0 + pattern.count]) == pattern }
}

/// Counts occurrences of `needle` in `bytes`.
func occurrences(of needle: String, in bytes: [UInt8]) -> Int {
    let pattern = Array(needle.utf8)
    guard bytes.count >= pattern.count else { return 0 }
    var count = 0
    for k in 0...(bytes.count - pattern.count) where bytes[k..<k + pattern.count].elementsEqual(pattern) {
        count += 1
    }
    return count
}

/// A thread-safe counter for handlers on the loop thread and checks on the test thread.
final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    func add(_ amount: Int = 1) { value.add(amount, ordering: .relaxed) }
    var current: Int { value.load(ordering: .relaxed) }
}
