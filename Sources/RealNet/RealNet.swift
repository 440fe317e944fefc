import CKeelLinux
import Core
// The service layer's types (requests, responses, errors) are RealNet's API too: the daemon, keelctl and tests
// use them as RealNet's.
@_exported import Service

/// The real-network driver of Core (DESIGN.md, The daemon). The pieces the daemon wires:
/// - `EventLoop` (one thread: epoll, listeners with a `ConnectionHandler` per connection, timers, `onWake`);
/// - `DiskThread` with `WALWorker` (group commit of Core's `WAL` over `FileDisk`, completions via the
///   loop's `LoopSignal`);
/// - `HTTPRequestParser` / `HTTPResponse` (HTTP/1.1 in etcd's shapes), `JSONDocument` / `JSONWriter` /
///   `Base64` (proto3 JSON as etcd's gateway speaks it);
/// - `Syscall`, `Errno`, `OwnedFD`: every system call, through one retry loop.
public enum RealNet {
    /// The etcd version the daemon reports (`/version`, Status): Core's, so there is one.
    public static let serverVersion = StatusReport.etcdVersion
}
