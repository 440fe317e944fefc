/// Binary framing of Raft messages between peers: `length u32 | crc32c u32 | payload`.
///
/// Every decoded field is bounds-checked; a frame whose checksum fails is rejected before any field is
/// trusted, so a corrupted message is dropped, never acted upon.
public enum MessageCodec {
    public static let headerSize = 8
    /// Largest frame payload accepted.
    public static let frameBytesMax = 256 << 20

    /// Appends the frame of `m` to `writer`.
    public static func encode(_ m: Message, into writer: inout ByteWriter) {
        let start = writer.count
        writer.u32(0)
        writer.u32(0)
        writer.u64(m.from.value)
        writer.u64(m.to.value)
        writer.u64(m.term.value)
        encodeBody(m.body, into: &writer)
        let payloadStart = start + headerSize
        writer.patchU32(UInt32(writer.count - payloadStart), at: start)
        writer.patchU32(CRC32C.checksum(writer.bytes[payloadStart...]), at: start + 4)
    }

    public static func encode(_ m: Message) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        encode(m, into: &writer)
        return writer.bytes
    }

    /// Decodes one whole frame. - Throws: on a short frame, a checksum mismatch or a malformed body.
    public static func decode(_ frame: ArraySlice<UInt8>) throws(DecodeError) -> Message {
        var header = ByteReader(frame)
        let length = Int(try header.u32())
        let expected = try header.u32()
        guard length <= frameBytesMax else { throw .badValue(offset: 0, what: "frame length \(length)") }
        guard frame.count - headerSize == length else {
            throw .badValue(offset: 0, what: "frame length \(length) but \(frame.count - headerSize) bytes")
        }
        let payload = frame[(frame.startIndex + headerSize)...]
        let actual = CRC32C.checksum(payload)
        guard actual == expected else { throw .checksumMismatch(offset: 4, expected: expected, actual: actual) }
        var reader = ByteReader(payload)
        let from = MemberID(try reader.u64())
        let to = MemberID(try reader.u64())
        let term = Term(try reader.u64())
        let body = try decodeBody(&reader)
        guard reader.isAtEnd else { throw .badValue(offset: reader.offset, what: "trailing bytes in message") }
        return Message(from: from, to: to, term: term, body: body)
    }

    static func encodeBody(_ body: Message.Body, into w: inout ByteWriter) {
        switch body {
        case .append(let a):
            w.u8(1)
            w.u64(a.prevIndex.value)
            w.u64(a.prevTerm.value)
            w.u64(a.commit.value)
            w.u32(UInt32(a.entries.count))
            for e in a.entries {
                w.u64(e.term.value)
                w.u64(e.index.value)
                w.u8(e.kind.rawValue)
                w.blob(e.data)
            }
        case .appendResponse(let r):
            w.u8(2)
            w.u64(r.index.value)
            w.bool(r.reject)
            w.u64(r.hintIndex.value)
            w.u64(r.hintTerm.value)
        case .vote(let v):
            w.u8(3)
            w.bool(v.preVote)
            w.u64(v.lastIndex.value)
            w.u64(v.lastTerm.value)
            w.bool(v.transfer)
        case .voteResponse(let v):
            w.u8(4)
            w.bool(v.preVote)
            w.bool(v.granted)
        case .heartbeat(let h):
            w.u8(5)
            w.u64(h.commit.value)
            w.u64(h.context)
        case .heartbeatResponse(let h):
            w.u8(6)
            w.u64(h.context)
        case .snapshot(let s):
            w.u8(7)
            SnapshotCodec.encodeMeta(s.meta, into: &w)
            w.u64(s.offset)
            w.u64(s.total)
            w.blob(s.bytes)
        case .snapshotResponse(let s):
            w.u8(8)
            w.u64(s.index.value)
            w.u64(s.received)
            w.bool(s.done)
        case .timeoutNow:
            w.u8(9)
        case .propose(let p):
            w.u8(10)
            w.u8(p.kind.rawValue)
            w.blob(p.data)
            w.u64(p.context)
        case .proposeResponse(let p):
            w.u8(11)
            w.u64(p.context)
            w.u8(p.refusal.rawValue)
        case .readIndex(let r):
            w.u8(12)
            w.u64(r.context)
        case .readIndexResponse(let r):
            w.u8(13)
            w.u64(r.context)
            w.u64(r.index.value)
            w.bool(r.failed)
        case .leaseForward(let f):
            w.u8(14)
            w.u64(f.context)
            w.i64(f.lease)
            w.bool(f.timeToLive)
        case .leaseForwardResponse(let r):
            w.u8(15)
            w.u64(r.context)
            w.i64(r.ttlSeconds)
            w.i64(r.grantedTTLSeconds)
            w.bool(r.failed)
        case .memberRemoved:
            w.u8(16)
        case .hashRequest(let h):
            w.u8(17)
            w.u64(h.context)
            w.i64(h.revision.value)
        case .hashResponse(let h):
            w.u8(18)
            w.u64(h.context)
            w.u8(h.outcome.rawValue)
            w.u32(h.hash)
            w.i64(h.compactRevision.value)
            w.i64(h.revision.value)
        }
    }

    static func decodeBody(_ r: inout ByteReader) throws(DecodeError) -> Message.Body {
        let at = r.offset
        let tag = try r.u8()
        switch tag {
        case 1:
            let prevIndex = LogIndex(try r.u64())
            let prevTerm = Term(try r.u64())
            let commit = LogIndex(try r.u64())
            let count = try r.count(itemBytesMin: 21)
            var entries: [Entry] = []
            entries.reserveCapacity(count)
            for _ in 0..<count {
                let term = Term(try r.u64())
                let index = LogIndex(try r.u64())
                let kindAt = r.offset
                let kindByte = try r.u8()
                guard let kind = EntryKind(rawValue: kindByte) else { throw .badTag(offset: kindAt, tag: kindByte) }
                entries.append(Entry(term: term, index: index, kind: kind, data: try r.blob()))
            }
            for (k, e) in entries.enumerated() {
                // A peer's numbers are not trusted: an index near the top must not overflow (fuzz-corpus/peer).
                let (expected, overflow) = prevIndex.value.addingReportingOverflow(UInt64(k + 1))
                if overflow || e.index.value != expected {
                    throw .badValue(offset: at, what: "append entries not contiguous after \(prevIndex)")
                }
            }
            return .append(Append(prevIndex: prevIndex, prevTerm: prevTerm, entries: entries, commit: commit))
        case 2:
            return .appendResponse(AppendResponse(index: LogIndex(try r.u64()), reject: try r.bool(),
                                                  hintIndex: LogIndex(try r.u64()), hintTerm: Term(try r.u64())))
        case 3:
            return .vote(VoteRequest(preVote: try r.bool(), lastIndex: LogIndex(try r.u64()),
                                     lastTerm: Term(try r.u64()), transfer: try r.bool()))
        case 4:
            return .voteResponse(VoteResponse(preVote: try r.bool(), granted: try r.bool()))
        case 5:
            return .heartbeat(Heartbeat(commit: LogIndex(try r.u64()), context: try r.u64()))
        case 6:
            return .heartbeatResponse(HeartbeatResponse(context: try r.u64()))
        case 7:
            let meta = try SnapshotCodec.decodeMeta(&r)
            let offset = try r.u64()
            let total = try r.u64()
            let bytes = try r.blob()
            guard offset + UInt64(bytes.count) <= total else {
                throw .badValue(offset: at, what: "snapshot chunk past its total")
            }
            return .snapshot(SnapshotChunk(meta: meta, offset: offset, total: total, bytes: bytes))
        case 8:
            return .snapshotResponse(SnapshotResponse(index: LogIndex(try r.u64()), received: try r.u64(),
                                                      done: try r.bool()))
        case 9:
            return .timeoutNow
        case 10:
            let kindAt = r.offset
            let kindByte = try r.u8()
            guard let kind = EntryKind(rawValue: kindByte) else { throw .badTag(offset: kindAt, tag: kindByte) }
            return .propose(Propose(kind: kind, data: try r.blob(), context: try r.u64()))
        case 11:
            let context = try r.u64()
            let refusalAt = r.offset
            let refusalByte = try r.u8()
            guard let refusal = ProposalRefusal(rawValue: refusalByte) else {
                throw .badTag(offset: refusalAt, tag: refusalByte)
            }
            return .proposeResponse(ProposeResponse(context: context, refusal: refusal))
        case 12:
            return .readIndex(ReadIndexRequest(context: try r.u64()))
        case 13:
            return .readIndexResponse(ReadIndexResponse(context: try r.u64(), index: LogIndex(try r.u64()),
                                                        failed: try r.bool()))
        case 14:
            return .leaseForward(LeaseForward(context: try r.u64(), lease: try r.i64(), timeToLive: try r.bool()))
        case 15:
            return .leaseForwardResponse(LeaseForwardResponse(context: try r.u64(), ttlSeconds: try r.i64(),
                                                              grantedTTLSeconds: try r.i64(), failed: try r.bool()))
        case 16:
            return .memberRemoved
        case 17:
            return .hashRequest(HashRequest(context: try r.u64(), revision: Revision(try r.i64())))
        case 18:
            let context = try r.u64()
            let outcomeAt = r.offset
            let outcomeByte = try r.u8()
            guard let outcome = HashResponse.Outcome(rawValue: outcomeByte) else {
                throw .badTag(offset: outcomeAt, tag: outcomeByte)
            }
            return .hashResponse(HashResponse(context: context, outcome: outcome, hash: try r.u32(),
                                              compactRevision: Revision(try r.i64()), revision: Revision(try r.i64())))
        default:
            throw .badTag(offset: at, tag: tag)
        }
    }
}
