/// The epoll interest flags RealNet uses (`EPOLLIN`, `EPOLLOUT`, ...). Level-triggered unless `.edge`.
public struct EpollEvents: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// EPOLLIN.
    public static let readable = EpollEvents(rawValue: 0x001)
    /// EPOLLOUT.
    public static let writable = EpollEvents(rawValue: 0x004)
    /// EPOLLERR (always reported).
    public static let error = EpollEvents(rawValue: 0x008)
    /// EPOLLHUP (always reported).
    public static let hangup = EpollEvents(rawValue: 0x010)
    /// EPOLLRDHUP: the peer shut down its writing side.
    public static let readHangup = EpollEvents(rawValue: 0x2000)
    /// EPOLLET.
    public static let edge = EpollEvents(rawValue: 0x8000_0000)
}

/// One epoll instance and its reused event buffers. Owned by the loop thread.
struct Epoll: ~Copyable {
    let fd: OwnedFD
    /// Ready events of the last `wait`, paired with `tokens` by index. Capacity fixed at creation.
    private(set) var events: [UInt32]
    private(set) var tokens: [UInt64]

    init(eventsMax: Int = 256) throws(Errno) {
        precondition(eventsMax > 0 && eventsMax <= 256, "epoll batch size \(eventsMax) out of 1...256")
        fd = try Syscall.epollCreate()
        events = Array(repeating: 0, count: eventsMax)
        tokens = Array(repeating: 0, count: eventsMax)
    }

    /// EPOLL_CTL_ADD.
    func add(_ target: Int32, _ interest: EpollEvents, token: UInt64) throws(Errno) {
        try Syscall.epollControl(fd.rawValue, 1, target, events: interest.rawValue, token: token)
    }

    /// EPOLL_CTL_MOD.
    func modify(_ target: Int32, _ interest: EpollEvents, token: UInt64) throws(Errno) {
        try Syscall.epollControl(fd.rawValue, 3, target, events: interest.rawValue, token: token)
    }

    /// EPOLL_CTL_DEL.
    func remove(_ target: Int32) throws(Errno) {
        try Syscall.epollControl(fd.rawValue, 2, target, events: 0, token: 0)
    }

    /// Waits for readiness; the first `count` of `events`/`tokens` are valid afterwards.
    /// `timeoutMilliseconds` -1 waits until something happens.
    mutating func wait(timeoutMilliseconds: Int32) throws(Errno) -> Int {
        let epoll = fd.rawValue
        return try events.withUnsafeMutableBufferPointer { (events) throws(Errno) -> Int in
            try tokens.withUnsafeMutableBufferPointer { (tokens) throws(Errno) -> Int in
                try Syscall.epollWait(epoll, events: events, tokens: tokens, timeoutMilliseconds: timeoutMilliseconds)
            }
        }
    }
}
