import Glibc
import Synchronization  // Atomic stop flag in LoopSignal: the toolchain's atomics, no package.

/// Limits and sizes of an `EventLoop`.
public struct EventLoopConfig: Sendable {
    /// Bytes read per `read` call into the loop's one shared buffer.
    public var readChunkBytes = 64 * 1024
    /// Reads per readiness event before moving on to other descriptors (fairness, level-triggered).
    public var readsPerEventMax = 4
    /// Above this many queued bytes a connection stops being read (backpressure) ...
    public var writeQueueBytesHigh = 4 * 1024 * 1024
    /// ... until its queue falls to this many, when `writable` is called.
    public var writeQueueBytesLow = 1024 * 1024
    /// Writes up to this size are appended to the last queued chunk rather than queued alone.
    public var coalesceBytesMax = 16 * 1024
    /// Open connections (accepted and outgoing) allowed; further accepts are closed at once.
    public var connectionsMax = 4096
    /// `listen(2)` backlog.
    public var listenBacklog: Int32 = 1024
    /// How long a closing connection keeps discarding input after its last byte was sent.
    public var lingerMilliseconds = 500

    public init() {}
}

/// Wakes an `EventLoop` from any thread (an eventfd) and asks it to stop. Sendable; shared by reference,
/// so its descriptor lives as long as any thread holds it.
public final class LoopSignal: Sendable {
    let eventFD: OwnedFD
    let stopRequested = Atomic<Bool>(false)

    init() throws(Errno) { eventFD = try Syscall.eventFD() }

    /// Adds to the eventfd counter: the loop runs its `onWake` once for any number of wakes since it last ran.
    public func wake() {
        switch try? Syscall.addToCounter(eventFD.rawValue) {
        case .processed?, .wouldBlock?: break  // wouldBlock: the counter is near overflow; the loop is due.
        case nil: fatalError("loop eventfd write failed")
        }
    }

    /// Makes `run()` return after the current iteration, closing every connection.
    public func requestStop() {
        stopRequested.store(true, ordering: .releasing)
        wake()
    }
}

/// Identifies a listener or timer on its loop.
public struct LoopToken: Hashable, Sendable {
    let rawValue: UInt64
}

/// One thread's epoll loop: listeners, connections, timers and a cross-thread wake-up.
///
/// Level-triggered, non-blocking sockets. Create it, add listeners and timers, set `onWake`, then `run()`
/// on the thread that owns it; nothing here is thread-safe except `signal`. Handlers run on that thread.
///
/// Daemon wiring: `listen(host:port:handler:)` per URL with a factory making one `ConnectionHandler` per
/// connection (HTTP codec + routing), `addTimer(every:)` ticking the replica at `--heartbeat-interval`,
/// `onWake` draining `DiskThread.takeCompletions` (the disk thread calls `signal.wake()`), and
/// `signal.requestStop()` from a signal handler thread or `stop()` from a handler.
public final class EventLoop {
    public let config: EventLoopConfig
    /// Wakes the loop from other threads.
    public let signal: LoopSignal
    /// Runs on the loop thread after `signal.wake()` was called (any number of times) on any thread.
    public var onWake: (() -> Void)?
    /// Called once after each batch of ready events: the daemon steps its Replica with everything they
    /// brought, so many requests share one persist batch and one append per follower.
    public var onIterationEnd: (() -> Void)?
    /// Called once when the loop stops, before its connections are closed: last words (HTTP/2 GOAWAY).
    public var onShutdown: (() -> Void)?
    /// Called when a TLS connection fails (handshake refused or timed out, a bad record), with the peer's
    /// address and a one-line reason, before it is closed: the daemon logs it as etcd logs "rejected
    /// connection".
    public var onTLSFailure: ((_ connection: Connection, _ remoteAddress: String, _ reason: String) -> Void)?

    private enum Entry {
        case listener(Listener)
        case connection(Connection)
        case timer(LoopTimer)
        case signal
    }

    private final class Listener {
        let fd: OwnedFD
        let port: Int
        let factory: (Connection) -> any ConnectionHandler
        let tls: TLSEndpoint?
        var paused = false
        init(fd: consuming OwnedFD, port: Int, tls: TLSEndpoint?,
             factory: @escaping (Connection) -> any ConnectionHandler) {
            self.fd = fd
            self.port = port
            self.tls = tls
            self.factory = factory
        }
    }

    private final class LoopTimer {
        let fd: OwnedFD
        let handler: (UInt64) -> Void
        init(fd: consuming OwnedFD, handler: @escaping (UInt64) -> Void) {
            self.fd = fd
            self.handler = handler
        }
    }

    private struct Slot {
        var generation: UInt32 = 0
        var entry: Entry?
    }

    private var epoll: Epoll
    /// Registered descriptors by slot; a token is `generation << 32 | slot`, so a stale event for a reused
    /// slot is recognised and dropped.
    private var slots: [Slot] = []
    private var freeSlots: [Int] = []
    private var readBuffer: [UInt8]
    /// Decrypted bytes of TLS connections, handed to handlers as `readBuffer` is for plain ones.
    var plainBuffer: [UInt8] = []
    /// TLS connections whose handshake has not finished, dropped at their `handshakeDeadline`.
    var handshaking: [Connection] = []
    private var nextConnectionID: UInt64 = 1
    public private(set) var connectionCount = 0
    private var stopping = false
    private var running = false
    /// Connections that finished sending and are discarding input until EOF or their deadline.
    private var lingering: [Connection] = []
    /// Connections whose send failed during a handler call, closed once the call returns.
    private var failed: [Connection] = []
    /// Listeners paused by EMFILE/ENFILE, resumed when a connection closes.
    private var pausedListeners: [Listener] = []

    public init(config: EventLoopConfig = EventLoopConfig()) throws(Errno) {
        precondition(config.writeQueueBytesLow < config.writeQueueBytesHigh, "write water marks inverted")
        precondition(config.readChunkBytes > 0 && config.connectionsMax > 0, "loop limits must be positive")
        self.config = config
        epoll = try Epoll()
        signal = try LoopSignal()
        readBuffer = [UInt8](repeating: 0, count: config.readChunkBytes)
        let token = allocate(.signal)
        try epoll.add(signal.eventFD.rawValue, .readable, token: token)
    }

    // MARK: Registration

    /// Listens on a numeric IPv4/IPv6 `host` and `port` (0 picks an ephemeral port) with `SO_REUSEADDR`.
    /// `handler` makes the handler of each accepted connection. With `tls`, each connection first completes
    /// a TLS handshake (within the endpoint's time) and its handler is made only then.
    /// - Returns: the listener's token and the bound port.
    @discardableResult
    public func listen(host: String, port: Int, tls: TLSEndpoint? = nil,
                       handler: @escaping (Connection) -> any ConnectionHandler)
        throws(Errno) -> (token: LoopToken, port: Int)
    {
        precondition(port >= 0 && port <= 65535, "port \(port) out of range")
        guard let family = Syscall.addressFamily(host) else { throw .invalidArgument }
        let socket = try Syscall.tcpSocket(family: family)
        try Syscall.setReuseAddress(socket.rawValue)
        try Syscall.bind(socket.rawValue, family: family, host: host, port: port)
        try Syscall.listen(socket.rawValue, backlog: config.listenBacklog)
        let bound = try Syscall.localPort(socket.rawValue)
        let raw = socket.rawValue
        let listener = Listener(fd: socket, port: bound, tls: tls, factory: handler)
        let token = allocate(.listener(listener))
        try epoll.add(raw, .readable, token: token)
        return (LoopToken(rawValue: token), bound)
    }

    /// Starts an outgoing connection to a numeric host; `handler.connected` follows when it is up (with `tls`:
    /// when the handshake is done, the server's certificate checked against `serverName`), or
    /// `handler.closed` with the error (e.g. `.connectionRefused`).
    @discardableResult
    public func connect(host: String, port: Int, tls: TLSEndpoint? = nil, serverName: String? = nil,
                        handler: any ConnectionHandler) throws(Errno) -> Connection
    {
        guard let family = Syscall.addressFamily(host) else { throw .invalidArgument }
        let socket = try Syscall.tcpSocket(family: family)
        try Syscall.setNoDelay(socket.rawValue)
        _ = try Syscall.connect(socket.rawValue, family: family, host: host, port: port)
        let connection = register(socket, state: .connecting)
        connection.handler = handler
        if let tls {
            guard let session = tls.makeSession(serverName: serverName ?? host) else {
                finishClose(connection, error: .invalidArgument)
                return connection
            }
            connection.tls = session
            connection.handshakeDeadline = EventLoop.monotonicNanoseconds()
                + Int64(tls.handshakeMilliseconds) * 1_000_000
        }
        // Writable fires when the connect completes (at once if it already has).
        update(connection)
        return connection
    }

    /// Calls `handler` every `interval` (a `timerfd`), with the number of expirations since the last call
    /// (more than 1 when the loop fell behind).
    @discardableResult
    public func addTimer(every interval: Duration, _ handler: @escaping (UInt64) -> Void) throws(Errno) -> LoopToken {
        let nanoseconds = EventLoop.nanoseconds(interval)
        precondition(nanoseconds > 0, "timer interval must be positive")
        let timer = try Syscall.timerFD()
        try Syscall.setTimer(timer.rawValue, initialNanoseconds: nanoseconds, intervalNanoseconds: nanoseconds)
        let raw = timer.rawValue
        let token = allocate(.timer(LoopTimer(fd: timer, handler: handler)))
        try epoll.add(raw, .readable, token: token)
        return LoopToken(rawValue: token)
    }

    /// Closes a listener or cancels a timer. Unknown or already removed tokens are ignored.
    public func remove(_ token: LoopToken) {
        guard let (index, entry) = lookup(token.rawValue) else { return }
        switch entry {
        case .listener(let listener):
            try? epoll.remove(listener.fd.rawValue)
            pausedListeners.removeAll { $0 === listener }
        case .timer(let timer): try? epoll.remove(timer.fd.rawValue)
        case .connection, .signal: preconditionFailure("remove(_:) takes listener and timer tokens")
        }
        release(index)
    }

    // MARK: Running

    /// Runs until `stop()` or `signal.requestStop()`, then closes every connection, listener and timer.
    /// - Throws: only if `epoll_wait` itself fails (an environment failure).
    public func run() throws(Errno) {
        precondition(!running, "run() is not reentrant")
        running = true
        defer { running = false }
        while !stopping && !signal.stopRequested.load(ordering: .acquiring) {
            try runOnce(timeoutMilliseconds: -1)
        }
        shutdown()
    }

    /// Waits once (at most `timeoutMilliseconds`, -1 for ever, shortened by lingering deadlines) and
    /// handles what is ready.
    public func runOnce(timeoutMilliseconds: Int32) throws(Errno) {
        var timeout = pollNext ? 0 : timeoutMilliseconds
        pollNext = false
        var nextDeadline = lingering.lazy.map(\.lingerDeadline).min()
        if let handshake = handshaking.lazy.map(\.handshakeDeadline).min() {
            nextDeadline = min(nextDeadline ?? handshake, handshake)
        }
        if let deadline = nextDeadline {
            let left = max(0, (deadline - EventLoop.monotonicNanoseconds()) / 1_000_000 + 1)
            timeout = timeout < 0 ? Int32(clamping: left) : min(timeout, Int32(clamping: left))
        }
        let count = try epoll.wait(timeoutMilliseconds: timeout)
        for k in 0..<count {
            dispatch(token: epoll.tokens[k], events: EpollEvents(rawValue: epoll.events[k]))
            closeFailed()
        }
        onIterationEnd?()  // Work gathered from every ready descriptor is done in one go (batching).
        closeFailed()
        expireLingering()
        expireHandshakes()
    }

    /// The next iteration only polls (waits for nothing): the owner has work of its own for `onIterationEnd`.
    public var pollNext = false

    /// Ends `run()` after the current iteration (loop thread).
    public func stop() { stopping = true }

    // MARK: Dispatch

    private func dispatch(token: UInt64, events: EpollEvents) {
        guard let (_, entry) = lookup(token) else { return }  // maybe: closed earlier in this batch.
        switch entry {
        case .signal:
            _ = try? Syscall.readCounter(signal.eventFD.rawValue)
            onWake?()
            closeFailed()
        case .timer(let timer):
            switch try? Syscall.readCounter(timer.fd.rawValue) {
            case .processed(let expirations)?: timer.handler(expirations)
            case .wouldBlock?, nil: break  // maybe: spurious readiness.
            }
        case .listener(let listener): accept(listener)
        case .connection(let connection): handle(connection, events)
        }
    }

    private func accept(_ listener: Listener) {
        while true {
            let accepted: IOResult<OwnedFD>
            do {
                accepted = try Syscall.accept(listener.fd.rawValue)
            } catch {
                switch error {
                case .tooManyOpenFiles, .tooManyOpenFilesInSystem:
                    // Level-triggered: stop listening until a descriptor frees up, or this would spin.
                    pauseAccepting(listener)
                    return
                default: continue  // maybe: ECONNABORTED and friends concern only that one peer.
                }
            }
            switch consume accepted {
            case .wouldBlock: return
            case .processed(let socket):
                if connectionCount >= config.connectionsMax {
                    socket.close()  // maybe: over the limit; the peer sees a reset.
                    continue
                }
                try? Syscall.setNoDelay(socket.rawValue)
                let connection = register(socket, state: .open)
                connection.acceptedByListener = true
                if let tls = listener.tls {
                    startServerHandshake(connection, tls: tls, factory: listener.factory)
                    continue
                }
                connection.handler = listener.factory(connection)
                update(connection)
                connection.handler?.connected(connection)
            }
        }
    }

    private func handle(_ connection: Connection, _ events: EpollEvents) {
        if connection.state == .connecting {
            if !events.isDisjoint(with: [.writable, .error, .hangup]) { finishConnect(connection) }
            return
        }
        if events.contains(.writable) { flush(connection) }
        if connection.state != .closed && !events.isDisjoint(with: [.readable, .readHangup, .error, .hangup]) {
            readAvailable(connection, hangup: !events.isDisjoint(with: [.error, .hangup]))
        }
    }

    func finishConnect(_ connection: Connection) {
        guard let raw = connection.fd?.rawValue else { return }
        let failure: Errno?
        do { failure = try Syscall.socketError(raw) } catch { failure = error }
        if let failure {
            finishClose(connection, error: failure)
            return
        }
        connection.state = .open
        update(connection)
        if connection.tls != nil {
            startClientHandshake(connection)
            return
        }
        connection.handler?.connected(connection)
        if connection.state == .open && !connection.writeQueue.isEmpty { flush(connection) }
    }

    private func readAvailable(_ connection: Connection, hangup: Bool) {
        var reads = 0
        while reads < config.readsPerEventMax && !connection.inputClosed && !connection.readPaused {
            guard let raw = connection.fd?.rawValue else { return }
            let result: IOResult<Int>
            do {
                result = try readBuffer.withMutableBytes { (buffer) throws(Errno) in
                    try Syscall.read(raw, into: buffer)
                }
            } catch {
                finishClose(connection, error: error)
                return
            }
            reads += 1
            switch result {
            case .wouldBlock:
                if hangup { finishClose(connection, error: nil) }  // maybe: HUP with nothing left to read.
                return
            case .processed(0):
                connection.inputClosed = true
                if connection.state == .lingering {
                    finishClose(connection, error: nil)
                    return
                }
                update(connection)
                connection.handler?.endOfInput(connection)
                return
            case .processed(let count):
                if connection.state != .open { continue }  // Discarded: we already said goodbye.
                if connection.tls != nil {
                    readBuffer.withUnsafeBytes { buffer in
                        tlsReceived(connection, UnsafeRawBufferPointer(rebasing: buffer[..<count]))
                    }
                    if connection.state != .open { return }
                    continue
                }
                readBuffer.withUnsafeBytes { buffer in
                    connection.handler?.received(UnsafeRawBufferPointer(rebasing: buffer[..<count]), on: connection)
                }
                if connection.state == .closed || connection.state == .failed { return }
                // A short read emptied the socket: epoll (level-triggered) reports what arrives later, so the
                // read that would only say EAGAIN is skipped (a third of all reads under load). A hang-up reads
                // on to the end.
                if count < readBuffer.count && !hangup { return }
            }
        }
    }

    // MARK: Writing and closing (called by Connection)

    /// New bytes were queued on `connection`: send now unless it is waiting for writability.
    func queued(_ connection: Connection) {
        if connection.state == .open && !connection.interest.contains(.writable) { flush(connection, inHandler: true) }
        if connection.state != .closed && connection.isWriteBlocked && !connection.readPaused {
            connection.readPaused = true
            update(connection)
        }
    }

    /// Sends what the kernel takes. `inHandler`: called from a handler's `write`, so `writable` is not
    /// called back into the handler (which sees `isWriteBlocked` turn false itself).
    private func flush(_ connection: Connection, inHandler: Bool = false) {
        while !connection.writeQueue.isEmpty {
            let result: IOResult<Int>
            do {
                result = try connection.sendQueued()
            } catch {
                fail(connection, error)
                return
            }
            switch result {
            case .wouldBlock:
                update(connection)
                return
            case .processed(let sent): connection.consumeSent(sent)
            }
        }
        if connection.readPaused && connection.queuedBytes <= config.writeQueueBytesLow {
            connection.readPaused = false
            update(connection)
            if !inHandler {
                connection.handler?.writable(connection)
                if connection.state == .closed || connection.state == .failed { return }
            }
        }
        if connection.state == .closing && connection.writeQueue.isEmpty {
            startLingering(connection)
        } else {
            update(connection)
        }
    }

    /// A send failed: drop the queue now, finish the close after the current handler call.
    func fail(_ connection: Connection, _ error: Errno) {
        guard connection.state != .closed && connection.state != .failed else { return }
        connection.state = .failed
        connection.closeError = error
        connection.discardQueued()
        failed.append(connection)
    }

    func closeFailed() {
        guard !failed.isEmpty else { return }
        for connection in failed { finishClose(connection, error: connection.closeError) }
        failed.removeAll(keepingCapacity: true)
    }

    func beginClose(_ connection: Connection) {
        precondition(connection.isOpen, "beginClose twice")
        if connection.state == .connecting {
            finishClose(connection, error: nil)
            return
        }
        connection.state = .closing
        if connection.writeQueue.isEmpty { startLingering(connection) } else { update(connection) }
    }

    private func startLingering(_ connection: Connection) {
        guard let raw = connection.fd?.rawValue, !connection.inputClosed else {
            finishClose(connection, error: nil)
            return
        }
        do { try Syscall.shutdownWrite(raw) } catch {
            finishClose(connection, error: nil)  // maybe: the peer is already gone.
            return
        }
        connection.state = .lingering
        connection.readPaused = false
        connection.lingerDeadline = EventLoop.monotonicNanoseconds() + Int64(config.lingerMilliseconds) * 1_000_000
        lingering.append(connection)
        update(connection)
    }

    private func expireLingering() {
        guard !lingering.isEmpty else { return }
        let now = EventLoop.monotonicNanoseconds()
        for connection in lingering where connection.lingerDeadline <= now && connection.state == .lingering {
            finishClose(connection, error: nil)
        }
        lingering.removeAll { $0.state == .closed }
    }

    /// Unregisters and closes the socket, then tells the handler. Safe to call from inside a handler.
    func finishClose(_ connection: Connection, error: Errno?) {
        guard connection.state != .closed else { return }
        let error = error ?? connection.failureAfterClose
        connection.state = .closed
        connection.closeError = error
        if connection.tls != nil && connection.tlsPeer == nil { handshaking.removeAll { $0 === connection } }
        if let fd = connection.fd.take() {
            try? epoll.remove(fd.rawValue)
            fd.close()
        }
        connection.discardQueued()
        if let (index, _) = lookup(connection.token) { release(index) }
        connectionCount -= 1
        precondition(connectionCount >= 0, "connection count below zero")
        let handler = connection.handler
        connection.handler = nil  // Breaks the handler <-> connection cycle.
        handler?.closed(connection, error: error)
        resumeAccepting()
    }

    /// Registers the epoll interest a connection's state calls for, if it changed.
    func update(_ connection: Connection) {
        guard let raw = connection.fd?.rawValue, connection.state != .closed, connection.state != .failed else {
            return
        }
        var wanted: EpollEvents = []
        switch connection.state {
        case .connecting: wanted = .writable
        case .open, .closing, .lingering:
            if !connection.inputClosed && !connection.readPaused { wanted.formUnion([.readable, .readHangup]) }
            if !connection.writeQueue.isEmpty { wanted.insert(.writable) }
        case .failed, .closed: return
        }
        guard wanted != connection.interest else { return }
        do {
            try epoll.modify(raw, wanted, token: connection.token)
            connection.interest = wanted
        } catch {
            finishClose(connection, error: error)
        }
    }

    // MARK: Slots

    private func register(_ socket: consuming OwnedFD, state: Connection.State) -> Connection {
        let index = freeSlots.popLast() ?? { slots.append(Slot()); return slots.count - 1 }()
        let token = UInt64(slots[index].generation) << 32 | UInt64(index)
        let raw = socket.rawValue
        let connection = Connection(id: nextConnectionID, token: token, fd: socket, loop: self, state: state)
        nextConnectionID += 1
        slots[index].entry = .connection(connection)
        connectionCount += 1
        do {
            try epoll.add(raw, [], token: token)
        } catch {
            finishClose(connection, error: error)
        }
        return connection
    }

    private func allocate(_ entry: Entry) -> UInt64 {
        let index = freeSlots.popLast() ?? { slots.append(Slot()); return slots.count - 1 }()
        precondition(slots[index].entry == nil, "slot \(index) in use")
        slots[index].entry = entry
        return UInt64(slots[index].generation) << 32 | UInt64(index)
    }

    private func lookup(_ token: UInt64) -> (Int, Entry)? {
        let index = Int(token & 0xFFFF_FFFF)
        guard index < slots.count, UInt64(slots[index].generation) == token >> 32,
              let entry = slots[index].entry else { return nil }
        return (index, entry)
    }

    private func release(_ index: Int) {
        precondition(slots[index].entry != nil, "release of a free slot")
        slots[index].entry = nil
        slots[index].generation &+= 1
        freeSlots.append(index)
    }

    private func pauseAccepting(_ listener: Listener) {
        guard !listener.paused else { return }
        listener.paused = true
        try? epoll.modify(listener.fd.rawValue, [], token: tokenOf(listener))
        pausedListeners.append(listener)
    }

    private func resumeAccepting() {
        guard !pausedListeners.isEmpty else { return }
        for listener in pausedListeners {
            listener.paused = false
            try? epoll.modify(listener.fd.rawValue, .readable, token: tokenOf(listener))
        }
        pausedListeners.removeAll()
    }

    private func tokenOf(_ listener: Listener) -> UInt64 {
        for (index, slot) in slots.enumerated() {
            if case .listener(let candidate)? = slot.entry, candidate === listener {
                return UInt64(slot.generation) << 32 | UInt64(index)
            }
        }
        preconditionFailure("listener not registered")
    }

    private func shutdown() {
        onShutdown?()
        for index in slots.indices {
            guard let entry = slots[index].entry else { continue }
            switch entry {
            case .connection(let connection): finishClose(connection, error: nil)
            case .listener, .timer:
                let token = UInt64(slots[index].generation) << 32 | UInt64(index)
                remove(LoopToken(rawValue: token))
            case .signal: break
            }
        }
        lingering.removeAll()
        precondition(connectionCount == 0, "connections left after shutdown")
    }

    // MARK: Time

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// `clock_gettime(CLOCK_MONOTONIC)` in nanoseconds.
    static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
