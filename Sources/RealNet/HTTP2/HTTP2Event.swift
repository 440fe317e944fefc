/// What an `HTTP2ServerConnection` tells its owner after receiving bytes.
///
/// Stream events come in wire order. Once the owner has queued the end of a response (`sendTrailers`, or
/// `sendData` / `sendHeaders` with `endStream`), no more `.headers` or `.data` come for that stream. After
/// `isFinished` becomes true no more events come and every stream still open is gone with the connection (no
/// `.reset` is emitted for them).
public enum HTTP2Event: Sendable, Equatable {
    /// Request headers (first HEADERS of a stream) or trailers (a later HEADERS, always with endStream).
    case headers(stream: UInt32, headers: [HPACKHeader], endStream: Bool)
    /// Request body bytes (padding removed); an empty `bytes` only when it carries `endStream`.
    case data(stream: UInt32, bytes: [UInt8], endStream: Bool)
    /// The stream is gone: reset by the peer, or by us for a stream error (we already queued RST_STREAM).
    case reset(stream: UInt32, code: HTTP2ErrorCode)
    /// The DATA queued on this stream is down to `writableBelowBytes` (all of it with the default 0) after it
    /// stalled: a streaming writer may produce more.
    case writable(stream: UInt32)
    /// The peer sent GOAWAY.
    case goAway(lastStreamID: UInt32, code: HTTP2ErrorCode)
}
