import Glibc

/// systemd's readiness protocol (sd_notify(3)) without libsystemd: one datagram such as `READY=1` to the unix
/// socket named by `$NOTIFY_SOCKET` (a leading `@` names the abstract namespace). etcd sends `READY=1` once it
/// serves clients, so a `Type=notify` unit waits for that.
public enum SystemdNotify {
    /// Sends `state` (for example `READY=1` or `STOPPING=1`) to `socketPath`.
    /// - Returns: nil when sent, else why not (the caller logs it; readiness is never fatal).
    public static func send(_ state: String, to socketPath: String) -> String? {
        var path = Array(socketPath.utf8)
        guard !path.isEmpty else { return "NOTIFY_SOCKET is empty" }
        if path[0] == UInt8(ascii: "@") { path[0] = 0 }  // Abstract namespace: a leading NUL byte.
        var address = sockaddr_un()
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else { return "NOTIFY_SOCKET path is too long" }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (k, byte) in path.enumerated() { raw[k] = byte }
        }
        // An abstract name's length counts exactly its bytes; a path's includes its NUL terminator.
        let length = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + path.count + (path[0] == 0 ? 0 : 1)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return "socket: \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                message.withUnsafeBytes { bytes in
                    sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), socketAddress, socklen_t(length))
                }
            }
        }
        guard sent == message.count else { return "sendto \(socketPath): \(String(cString: strerror(errno)))" }
        return nil
    }
}
