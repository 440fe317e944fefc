/// One record of the write-ahead log.
///
/// Frame: `length u32 | payload crc32c u32 | header crc32c u32 (of the first 8 bytes) | payload`.
/// The header checksum tells a corrupted length (refuse to start) from a torn tail (the record runs past
/// the end of the file, or the tail is zeros: truncate it).
public enum WALRecord: Equatable, Sendable {
    case hardState(HardState)
    case entry(Entry)
    /// A snapshot saved at (index, term). `resetsLog`: it came from the leader and replaces every entry.
    case snapshotMarker(index: LogIndex, term: Term, resetsLog: Bool)

    static let headerSize = 12
    /// Largest record payload we will read back (bounds allocation on a corrupt length).
    public static let payloadBytesMax = 64 << 20

    /// Appends this record's frame to `writer`.
    public func encode(into writer: inout ByteWriter) {
        let start = writer.count
        writer.u32(0)
        writer.u32(0)
        writer.u32(0)
        switch self {
        case .hardState(let h):
            writer.u8(1)
            writer.u64(h.term.value)
            writer.u64(h.vote.value)
            writer.u64(h.commit.value)
        case .entry(let e):
            writer.u8(2)
            writer.u64(e.term.value)
            writer.u64(e.index.value)
            writer.u8(e.kind.rawValue)
            writer.blob(e.data)
        case .snapshotMarker(let index, let term, let resetsLog):
            writer.u8(3)
            writer.u64(index.value)
            writer.u64(term.value)
            writer.bool(resetsLog)
        }
        let payloadStart = start + WALRecord.headerSize
        let length = writer.count - payloadStart
        let payloadCRC = CRC32C.checksum(writer.bytes[payloadStart...])
        writer.patchU32(UInt32(length), at: start)
        writer.patchU32(payloadCRC, at: start + 4)
        let headerCRC = CRC32C.checksum(writer.bytes[start..<(start + 8)])
        writer.patchU32(headerCRC, at: start + 8)
    }

    /// Decodes a payload whose checksum already matched.
    static func decodePayload(_ payload: ArraySlice<UInt8>, at offset: Int) throws(DecodeError) -> WALRecord {
        var reader = ByteReader(payload)
        let tag = try reader.u8()
        let record: WALRecord
        switch tag {
        case 1:
            record = .hardState(HardState(term: Term(try reader.u64()), vote: MemberID(try reader.u64()),
                                          commit: LogIndex(try reader.u64())))
        case 2:
            let term = Term(try reader.u64())
            let index = LogIndex(try reader.u64())
            let kindByte = try reader.u8()
            guard let kind = EntryKind(rawValue: kindByte) else { throw .badTag(offset: offset, tag: kindByte) }
            record = .entry(Entry(term: term, index: index, kind: kind, data: try reader.blob()))
        case 3:
            record = .snapshotMarker(index: LogIndex(try reader.u64()), term: Term(try reader.u64()),
                                     resetsLog: try reader.bool())
        default:
            throw .badTag(offset: offset, tag: tag)
        }
        guard reader.isAtEnd else { throw .badValue(offset: offset, what: "trailing bytes in record") }
        return record
    }
}

/// What scanning one segment found.
struct SegmentScan {
    var records: [WALRecord] = []
    /// Bytes of valid records; a torn tail starts here.
    var validBytes = 0
    var tornTail = false
}

extension WALRecord {
    /// Reads every record of a segment. A record that runs past the end, or an all-zero tail, is a torn
    /// tail when `isLast`; anything else that fails its checksum is corruption.
    static func scan(_ bytes: [UInt8], file: String, isLast: Bool) throws(RecoveryError) -> SegmentScan {
        var scan = SegmentScan()
        var offset = 0
        while offset < bytes.count {
            let remaining = bytes.count - offset
            if remaining < headerSize || bytes[offset...].allSatisfy({ $0 == 0 }) {
                guard isLast else {
                    throw .corrupt(file: file, offset: offset, reason: "truncated record in a sealed segment")
                }
                scan.tornTail = true
                break
            }
            var header = ByteReader(bytes[offset..<(offset + headerSize)])
            let length = Int(try! header.u32())
            let payloadCRC = try! header.u32()
            let headerCRC = try! header.u32()
            let actualHeaderCRC = CRC32C.checksum(bytes[offset..<(offset + 8)])
            if headerCRC != actualHeaderCRC {
                throw .corrupt(file: file, offset: offset, reason: "header checksum mismatch: expected "
                               + "\(hex32(headerCRC)), found \(hex32(actualHeaderCRC))")
            }
            if length > payloadBytesMax {
                throw .corrupt(file: file, offset: offset, reason: "record length \(length) over limit")
            }
            if remaining - headerSize < length {
                guard isLast else {
                    throw .corrupt(file: file, offset: offset, reason: "record past end of a sealed segment")
                }
                scan.tornTail = true
                break
            }
            let payload = bytes[(offset + headerSize)..<(offset + headerSize + length)]
            let actual = CRC32C.checksum(payload)
            if actual != payloadCRC {
                throw .corrupt(file: file, offset: offset, reason: "payload checksum mismatch: expected "
                               + "\(hex32(payloadCRC)), found \(hex32(actual))")
            }
            do {
                scan.records.append(try decodePayload(payload, at: offset))
            } catch {
                throw .corrupt(file: file, offset: offset, reason: "undecodable record: \(error)")
            }
            offset += headerSize + length
            scan.validBytes = offset
        }
        return scan
    }
}
