import CKeelLinux
import Glibc

/// Every system call RealNet makes, each through the one retry loop (`Syscall.run`).
///
/// The loop's rules (STYLE.md section 7; NIO's `syscall` and swift-system's `valueOrErrno`):
/// - EINTR is retried;
/// - EAGAIN becomes `.wouldBlock` (it never throws);
/// - EBADF and EFAULT trap: a closed descriptor or a bad address is our bug, not the environment's;
/// - any other failure throws `Errno`.
/// Calls on regular files and directories never block in the EAGAIN sense; their wrappers return plain
/// values and trap if the kernel says otherwise.
enum Syscall {
    /// The one retry loop. `failed` tells the call's failure value (-1, or a null pointer) from a result.
    @inline(__always)
    static func run<T>(_ name: StaticString, _ call: () -> T, failed: (T) -> Bool) throws(Errno) -> IOResult<T> {
        while true {
            let result = call()
            if !failed(result) { return .processed(result) }
            let code = ckeel_errno()
            switch code {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case EBADF, EFAULT: fatalError("\(name): unacceptable errno \(code) (a bad descriptor or address is a bug)")
            default: throw Errno(rawValue: code)
            }
        }
    }

    @inline(__always)
    static func run<T: FixedWidthInteger>(_ name: StaticString, _ call: () -> T) throws(Errno) -> IOResult<T> {
        try run(name, call, failed: { $0 == -1 })
    }

    /// `run` for calls that cannot report EAGAIN (files, directories, socket setup).
    @inline(__always)
    static func blocking<T: FixedWidthInteger>(_ name: StaticString, _ call: () -> T) throws(Errno) -> T {
        switch try run(name, call) {
        case .processed(let value): return value
        case .wouldBlock: fatalError("\(name): EAGAIN from a call that cannot block")
        }
    }

    // MARK: Descriptors

    /// `close(2)`. Not retried: on Linux the descriptor is gone even when close reports EINTR, and a retry
    /// could close a descriptor another thread just opened. EIO and EINTR are dropped (nothing to do).
    static func close(_ fd: Int32) {
        precondition(fd >= 0, "close of a negative descriptor")
        if Glibc.close(fd) == -1 && ckeel_errno() == EBADF {
            fatalError("close(\(fd)): EBADF (double close is a bug)")
        }
    }

    /// `read(2)` into `buffer`; 0 means end of file (or the peer closed its side).
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> IOResult<Int> {
        try run("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// `write(2)` of `bytes`: a partial write returns what was written.
    static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(Errno) -> IOResult<Int> {
        try run("write") { Glibc.write(fd, bytes.baseAddress, bytes.count) }
    }

    // MARK: epoll, eventfd, timerfd

    /// `epoll_create1(EPOLL_CLOEXEC)`.
    static func epollCreate() throws(Errno) -> OwnedFD {
        OwnedFD(taking: try blocking("epoll_create1") { ckeel_epoll_create() })
    }

    /// `epoll_ctl(2)` with `op` EPOLL_CTL_ADD, EPOLL_CTL_MOD or EPOLL_CTL_DEL and a 64-bit token.
    static func epollControl(_ epoll: Int32, _ op: Int32, _ fd: Int32, events: UInt32, token: UInt64)
        throws(Errno)
    {
        _ = try blocking("epoll_ctl") { ckeel_epoll_ctl(epoll, op, fd, events, token) }
    }

    /// `epoll_wait(2)`: fills `events` and `tokens` (equal counts), returns how many are ready.
    /// `timeoutMilliseconds` -1 waits for ever. EINTR is retried with the same timeout.
    static func epollWait(_ epoll: Int32, events: UnsafeMutableBufferPointer<UInt32>,
                          tokens: UnsafeMutableBufferPointer<UInt64>, timeoutMilliseconds: Int32) throws(Errno) -> Int
    {
        precondition(events.count == tokens.count, "epoll_wait: mismatched buffers")
        let count = Int32(min(events.count, 256))
        return Int(try blocking("epoll_wait") {
            ckeel_epoll_wait(epoll, events.baseAddress, tokens.baseAddress, count, timeoutMilliseconds)
        })
    }

    /// `eventfd(0, EFD_CLOEXEC)`, non-blocking (`EFD_NONBLOCK`) unless `blocking`.
    static func eventFD(blocking isBlocking: Bool = false) throws(Errno) -> OwnedFD {
        OwnedFD(taking: try blocking("eventfd") { ckeel_eventfd(isBlocking ? 0 : 1) })
    }

    /// `read(2)` of an eventfd or timerfd counter (8 bytes): the count since the last read, reset to 0.
    static func readCounter(_ fd: Int32) throws(Errno) -> IOResult<UInt64> {
        var value: UInt64 = 0
        let result = try withUnsafeMutableBytes(of: &value) { (raw) throws(Errno) -> IOResult<Int> in
            try run("read(counter)") { Glibc.read(fd, raw.baseAddress, 8) }
        }
        switch result {
        case .processed(let count):
            precondition(count == 8, "counter read of \(count) bytes")
            return .processed(value)
        case .wouldBlock: return .wouldBlock
        }
    }

    /// `write(2)` of 8 bytes to an eventfd: adds `value` to its counter. `.wouldBlock` only if the counter
    /// would overflow, which means the reader is already due to wake.
    static func addToCounter(_ fd: Int32, _ value: UInt64 = 1) throws(Errno) -> IOResult<Void> {
        var copy = value
        let result = try withUnsafeBytes(of: &copy) { (raw) throws(Errno) -> IOResult<Int> in
            try run("write(eventfd)") { Glibc.write(fd, raw.baseAddress, 8) }
        }
        switch result {
        case .processed: return .processed(())
        case .wouldBlock: return .wouldBlock
        }
    }

    /// `timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)`.
    static func timerFD() throws(Errno) -> OwnedFD {
        OwnedFD(taking: try blocking("timerfd_create") { ckeel_timerfd() })
    }

    /// `timerfd_settime(2)`: first expiry after `initialNanoseconds`, then every `intervalNanoseconds`.
    static func setTimer(_ fd: Int32, initialNanoseconds: Int64, intervalNanoseconds: Int64) throws(Errno) {
        _ = try blocking("timerfd_settime") { ckeel_timerfd_set(fd, initialNanoseconds, intervalNanoseconds) }
    }

    // MARK: Sockets

    /// Address family of a numeric host (`inet_pton`): 4, 6, or nil for anything else.
    static func addressFamily(_ host: String) -> Int32? {
        let family = host.withCString { ckeel_address_family($0) }
        return family == 0 ? nil : family
    }

    /// `socket(2)`: a non-blocking, close-on-exec TCP socket of `family` (4 or 6).
    static func tcpSocket(family: Int32) throws(Errno) -> OwnedFD {
        OwnedFD(taking: try blocking("socket") { ckeel_tcp_socket(family) })
    }

    /// `setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)`.
    static func setReuseAddress(_ fd: Int32) throws(Errno) {
        _ = try blocking("setsockopt(SO_REUSEADDR)") { ckeel_set_reuseaddr(fd) }
    }

    /// `setsockopt(IPPROTO_TCP, TCP_NODELAY, 1)`.
    static func setNoDelay(_ fd: Int32) throws(Errno) {
        _ = try blocking("setsockopt(TCP_NODELAY)") { ckeel_set_nodelay(fd) }
    }

    /// `bind(2)` to a numeric host (resolved by `getaddrinfo` with `AI_NUMERICHOST`) and port.
    static func bind(_ fd: Int32, family: Int32, host: String, port: Int) throws(Errno) {
        let result = try blocking("bind") { host.withCString { ckeel_bind(fd, family, $0, Int32(port)) } }
        if result == -2 { throw .invalidArgument }
    }

    /// `listen(2)`.
    static func listen(_ fd: Int32, backlog: Int32) throws(Errno) {
        _ = try blocking("listen") { ckeel_listen(fd, backlog) }
    }

    /// `accept4(2)` with `SOCK_NONBLOCK | SOCK_CLOEXEC`. `.wouldBlock` when no connection is pending.
    static func accept(_ fd: Int32) throws(Errno) -> IOResult<OwnedFD> {
        switch try run("accept4", { ckeel_accept(fd) }) {
        case .processed(let accepted): return .processed(OwnedFD(taking: accepted))
        case .wouldBlock: return .wouldBlock
        }
    }

    /// `getsockname(2)`: the port a socket is bound to.
    static func localPort(_ fd: Int32) throws(Errno) -> Int {
        Int(try blocking("getsockname") { ckeel_local_port(fd) })
    }

    /// `getpeername(2)` as `ip:port`, nil when the socket has no peer.
    static func peerAddress(_ fd: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: 64)
        guard ckeel_peer_address(fd, &buffer, Int32(buffer.count)) > 0 else { return nil }
        return buffer.nulTerminatedText
    }

    /// `connect(2)` of a non-blocking socket: `.wouldBlock` means EINPROGRESS (finish with `socketError`).
    static func connect(_ fd: Int32, family: Int32, host: String, port: Int) throws(Errno) -> IOResult<Void> {
        do throws(Errno) {
            let result = try blocking("connect") { host.withCString { ckeel_connect(fd, family, $0, Int32(port)) } }
            if result == -2 { throw .invalidArgument }
            return .processed(())
        } catch {
            if error == .inProgress { return .wouldBlock }
            throw error
        }
    }

    /// `getsockopt(SO_ERROR)`: the outcome of a non-blocking connect (nil when it succeeded).
    static func socketError(_ fd: Int32) throws(Errno) -> Errno? {
        let code = try blocking("getsockopt(SO_ERROR)") { ckeel_socket_error(fd) }
        return code == 0 ? nil : Errno(rawValue: code)
    }

    /// `shutdown(SHUT_WR)`: sends FIN after queued data.
    static func shutdownWrite(_ fd: Int32) throws(Errno) {
        _ = try blocking("shutdown") { ckeel_shutdown_write(fd) }
    }

    /// `send(2)` with `MSG_NOSIGNAL`: a closed peer gives EPIPE instead of killing the process.
    static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(Errno) -> IOResult<Int> {
        try run("send") { ckeel_send(fd, bytes.baseAddress, UInt(bytes.count)) }
    }

    /// `writev(2)` through `sendmsg(2)` with `MSG_NOSIGNAL`.
    static func sendVectors(_ fd: Int32, _ vectors: UnsafeBufferPointer<iovec>) throws(Errno) -> IOResult<Int> {
        try run("sendmsg") { ckeel_sendv(fd, vectors.baseAddress, Int32(vectors.count)) }
    }

    // MARK: Files and directories

    /// `open(2)` with `O_RDONLY`.
    static func openForReading(_ path: String) throws(Errno) -> OwnedFD {
        OwnedFD(taking: try blocking("open(O_RDONLY)") { path.withCString { ckeel_open_read($0) } })
    }

    /// `open(2)` with `O_WRONLY` of an existing file.
    static func openForWriting(_ path: String) throws(Errno) -> OwnedFD {
        OwnedFD(taking: try blocking("open(O_WRONLY)") { path.withCString { ckeel_open_write($0) } })
    }

    /// `open(2)` with `O_WRONLY | O_CREAT | O_APPEND`, mode 0644.
    static func openForAppending(_ path: String) throws(Errno) -> OwnedFD {
        OwnedFD(taking: try blocking("open(O_APPEND)") { path.withCString { ckeel_open_append($0) } })
    }

    /// `open(2)` with `O_WRONLY | O_CREAT`, mode 0644: a file written with `pwrite` at offsets of our own.
    static func openForWritingAt(_ path: String) throws(Errno) -> OwnedFD {
        OwnedFD(taking: try blocking("open(O_CREAT)") { path.withCString { ckeel_open_create($0) } })
    }

    /// `open(2)` with `O_WRONLY | O_CREAT | O_TRUNC`, mode 0644.
    static func openTruncating(_ path: String) throws(Errno) -> OwnedFD {
        OwnedFD(taking: try blocking("open(O_TRUNC)") { path.withCString { ckeel_open_truncate($0) } })
    }

    /// `open(2)` with `O_RDONLY | O_DIRECTORY`: a handle to fsync a directory with.
    static func openDirectory(_ path: String) throws(Errno) -> OwnedFD {
        OwnedFD(taking: try blocking("open(O_DIRECTORY)") { path.withCString { ckeel_open_directory($0) } })
    }

    /// `mkdir(2)` with mode 0700.
    static func makeDirectory(_ path: String) throws(Errno) {
        _ = try blocking("mkdir") { path.withCString { ckeel_mkdir($0) } }
    }

    /// `fdatasync(2)`.
    static func fdatasync(_ fd: Int32) throws(Errno) {
        _ = try blocking("fdatasync") { ckeel_fdatasync(fd) }
    }

    /// `sync_file_range(2)`: start writeback of a range, and with `wait` wait for it too (pacing large
    /// writes so they never pile up dirty pages for one long fsync; not a durability barrier).
    static func syncFileRange(_ fd: Int32, offset: Int, count: Int, wait: Bool) throws(Errno) {
        _ = try blocking("sync_file_range") { ckeel_sync_file_range(fd, Int64(offset), Int64(count), wait ? 1 : 0) }
    }

    /// `posix_fadvise(POSIX_FADV_DONTNEED)`: advice only, so a failure is ignored.
    static func dropCachedPages(_ fd: Int32, offset: Int, count: Int) {
        _ = ckeel_fadvise_dontneed(fd, Int64(offset), Int64(count))
    }

    /// Lowers the calling thread's CPU priority (`setpriority(2)` on its thread id): background work such
    /// as serializing a snapshot yields to the event loop and the WAL. Best effort.
    public static func lowerThreadPriority(nice: Int32 = 10) {
        _ = ckeel_set_thread_nice(nice)
    }

    /// The processors online (`sysconf(_SC_NPROCESSORS_ONLN)`), at least 1.
    public static func onlineCores() -> Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// `fsync(2)`.
    static func fsync(_ fd: Int32) throws(Errno) {
        _ = try blocking("fsync") { ckeel_fsync(fd) }
    }

    /// `fstat(2)`: the file's size in bytes.
    static func fileSize(_ fd: Int32) throws(Errno) -> Int {
        Int(try blocking("fstat") { ckeel_file_size(fd) })
    }

    /// `pread(2)` at `offset`: 0 at end of file.
    static func pread(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, offset: Int) throws(Errno) -> Int {
        try blocking("pread") { ckeel_pread(fd, buffer.baseAddress, UInt(buffer.count), Int64(offset)) }
    }

    /// `pwrite(2)` at `offset`: may write less than asked.
    static func pwrite(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, offset: Int) throws(Errno) -> Int {
        try blocking("pwrite") { ckeel_pwrite(fd, bytes.baseAddress, UInt(bytes.count), Int64(offset)) }
    }

    /// `write(2)` to a file until every byte is written (a regular file may still write short on ENOSPC).
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(Errno) {
        var done = 0
        while done < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[done...])
            done += try blocking("write") { Glibc.write(fd, rest.baseAddress, rest.count) }
        }
    }

    /// `pwrite(2)` at `offset` until every byte is written.
    static func pwriteAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, offset: Int) throws(Errno) {
        var done = 0
        while done < bytes.count {
            done += try pwrite(fd, UnsafeRawBufferPointer(rebasing: bytes[done...]), offset: offset + done)
        }
    }

    /// `ftruncate(2)`.
    static func truncate(_ fd: Int32, size: Int) throws(Errno) {
        _ = try blocking("ftruncate") { ckeel_ftruncate(fd, Int64(size)) }
    }

    /// `rename(2)`: atomically replaces `target`.
    static func rename(_ source: String, _ target: String) throws(Errno) {
        _ = try blocking("rename") { source.withCString { s in target.withCString { t in Glibc.rename(s, t) } } }
    }

    /// `unlink(2)`.
    static func unlink(_ path: String) throws(Errno) {
        _ = try blocking("unlink") { path.withCString { Glibc.unlink($0) } }
    }

    /// `opendir(3)`, `readdir(3)`, `closedir(3)`: the names in a directory, without "." and "..", unsorted.
    static func listDirectory(_ path: String) throws(Errno) -> [String] {
        let opened = try run("opendir", { path.withCString { opendir($0) } }, failed: { $0 == nil })
        guard case .processed(let handle?) = opened else { fatalError("opendir: EAGAIN") }
        defer { closedir(handle) }
        var names: [String] = []
        while true {
            // readdir returns NULL both at the end (errno untouched, 0) and on failure (errno set).
            let next = try run("readdir", { ckeel_readdir_name(handle) }, failed: { $0 == nil && ckeel_errno() != 0 })
            guard case .processed(let name) = next, let name else { break }
            names.append(String(cString: name))
        }
        return names
    }
}

/// `Array.withUnsafeBytes` and friends rethrow untyped errors; these keep `throws(Errno)` typed.
extension Array where Element == UInt8 {
    @inline(__always)
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws(Errno) -> R) throws(Errno) -> R {
        try withUnsafeBytes { raw in Result { () throws(Errno) -> R in try body(raw) } }.get()
    }

    @inline(__always)
    mutating func withMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws(Errno) -> R) throws(Errno) -> R {
        try withUnsafeMutableBytes { raw in Result { () throws(Errno) -> R in try body(raw) } }.get()
    }
}
