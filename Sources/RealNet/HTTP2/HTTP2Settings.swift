import Core

/// What the server advertises in its SETTINGS frame, plus the limits it enforces on what it receives.
///
/// Defaults follow etcd 3.4 over grpc-go where they matter to clients: no stream limit (etcd's
/// `--max-concurrent-streams` default is 2^32-1, so the setting is not even sent), 16 KiB frames.
/// Windows are larger than grpc-go's 64 KiB so a 1.5 MiB etcd request needs no round trip per 64 KiB:
/// 1 MiB per stream (SETTINGS_INITIAL_WINDOW_SIZE) and 4 MiB for the connection (one WINDOW_UPDATE after
/// the SETTINGS). Data is handed to the owner as it arrives and its window returned at once, so the windows
/// bound bytes in flight, not memory held here.
///
/// `maxHeaderListSize` is 1 MiB (Go's net/http default header limit), advertised so well-behaved clients
/// (grpc-go checks it before sending) fail locally. A decoded list over it resets only its stream, with
/// FRAME_SIZE_ERROR as grpc-go's server does (the HPACK decoder finishes the block, so its table stays in
/// step). The same size caps the compressed block we buffer: a block over it, or more than
/// `continuationFramesMax` CONTINUATION frames, is a connection error ENHANCE_YOUR_CALM, since a block
/// cannot be skipped without decoding it.
public struct HTTP2Settings: Sendable, Equatable {
    /// SETTINGS_MAX_CONCURRENT_STREAMS; `UInt32.max` means unlimited and is not sent.
    public var maxConcurrentStreams: UInt32 = 4_294_967_295
    /// SETTINGS_INITIAL_WINDOW_SIZE: the receive window of each new stream. At most 2^31-1.
    public var initialWindowSize: UInt32 = 1 << 20
    /// The connection receive window, grown from 65,535 by a WINDOW_UPDATE after our SETTINGS.
    public var connectionWindowSize: UInt32 = 4 << 20
    /// SETTINGS_MAX_FRAME_SIZE: the largest frame payload we accept, 16,384 ... 16,777,215.
    public var maxFrameSize: UInt32 = 16_384
    /// SETTINGS_MAX_HEADER_LIST_SIZE: decoded header list bytes (RFC 9113 section 6.5.2 sizing).
    public var maxHeaderListSize: UInt32 = 1 << 20
    /// SETTINGS_HEADER_TABLE_SIZE: the HPACK dynamic table size our decoder allows.
    public var headerTableSize: UInt32 = 4096
    /// Most CONTINUATION frames accepted after one HEADERS (a CONTINUATION flood is a connection error).
    public var continuationFramesMax: Int = 256

    public init() {}

    /// Largest header block (HEADERS plus CONTINUATION payloads, padding excluded) we buffer before decoding.
    var headerBlockBytesMax: Int {
        max(Int(maxFrameSize), Int(min(maxHeaderListSize, 16 << 20)))
    }

    /// Checks the values are within the ranges RFC 9113 section 6.5.2 allows (a bug in the caller if not).
    func validate() {
        invariant(initialWindowSize <= FlowWindow.sizeMax, "initialWindowSize over 2^31-1")
        invariant(connectionWindowSize <= FlowWindow.sizeMax, "connectionWindowSize over 2^31-1")
        invariant(connectionWindowSize >= FlowWindow.defaultSize, "connection window below 65,535")
        invariant(maxFrameSize >= 16_384 && maxFrameSize <= 16_777_215, "maxFrameSize out of range")
        invariant(continuationFramesMax >= 1, "continuationFramesMax must be positive")
    }
}

/// Keepalive behaviour, as grpc-go's server and etcd's flags define it.
///
/// Policing: a client PING sooner than `minTimeMillis` after its previous one (or sooner than two hours
/// when no stream is open and `permitWithoutStream` is false) is a strike; sending HEADERS or DATA clears
/// the strikes; a third strike ends the connection with GOAWAY ENHANCE_YOUR_CALM "too_many_pings".
/// Server pings: after `intervalMillis` without reading anything we PING, and close if nothing is read
/// within `timeoutMillis`.
public struct HTTP2KeepalivePolicy: Sendable, Equatable {
    /// etcd `--grpc-keepalive-min-time` (5 s).
    public var minTimeMillis: UInt64 = 5_000
    /// grpc-go `EnforcementPolicy.PermitWithoutStream` (false in etcd).
    public var permitWithoutStream: Bool = false
    /// etcd `--grpc-keepalive-interval` (2 h).
    public var intervalMillis: UInt64 = 7_200_000
    /// etcd `--grpc-keepalive-timeout` (20 s).
    public var timeoutMillis: UInt64 = 20_000

    public init() {}

    public init(minTimeMillis: UInt64, permitWithoutStream: Bool, intervalMillis: UInt64, timeoutMillis: UInt64) {
        self.minTimeMillis = minTimeMillis
        self.permitWithoutStream = permitWithoutStream
        self.intervalMillis = intervalMillis
        self.timeoutMillis = timeoutMillis
    }

    /// Pings with no open stream are policed against this (grpc-go's `defaultPingTimeout`).
    static let idlePingMinMillis: UInt64 = 7_200_000
    /// More strikes than this end the connection (grpc-go's `maxPingStrikes`).
    static let pingStrikesMax = 2
}

/// SETTINGS parameter identifiers (RFC 9113 section 6.5.2).
enum HTTP2SettingID {
    static let headerTableSize: UInt16 = 0x1
    static let enablePush: UInt16 = 0x2
    static let maxConcurrentStreams: UInt16 = 0x3
    static let initialWindowSize: UInt16 = 0x4
    static let maxFrameSize: UInt16 = 0x5
    static let maxHeaderListSize: UInt16 = 0x6
}

/// The client's settings as last received (defaults until its first SETTINGS arrives).
struct HTTP2PeerSettings: Sendable, Equatable {
    var headerTableSize: UInt32 = 4096
    var initialWindowSize: UInt32 = FlowWindow.defaultSize
    var maxFrameSize: UInt32 = 16_384
    /// Advisory for what we send; not enforced (grpc-go fails such a stream locally, we send it anyway).
    var maxHeaderListSize: UInt32 = .max
}

/// Appends the SETTINGS payload that announces `settings` (only values that differ from the defaults, as
/// grpc-go does, except MAX_HEADER_LIST_SIZE which is always stated).
func appendSettingsPayload(_ settings: HTTP2Settings, into payload: inout [UInt8]) {
    func add(_ id: UInt16, _ value: UInt32) {
        payload.append(UInt8(id >> 8))
        payload.append(UInt8(id & 0xff))
        appendUInt32(value, into: &payload)
    }
    if settings.headerTableSize != 4096 { add(HTTP2SettingID.headerTableSize, settings.headerTableSize) }
    if settings.maxConcurrentStreams != .max {
        add(HTTP2SettingID.maxConcurrentStreams, settings.maxConcurrentStreams)
    }
    if settings.initialWindowSize != FlowWindow.defaultSize {
        add(HTTP2SettingID.initialWindowSize, settings.initialWindowSize)
    }
    if settings.maxFrameSize != 16_384 { add(HTTP2SettingID.maxFrameSize, settings.maxFrameSize) }
    add(HTTP2SettingID.maxHeaderListSize, settings.maxHeaderListSize)
}
