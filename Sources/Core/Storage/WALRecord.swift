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
    /// Fill that ends a batch on a sector boundary (`WAL.write`): this many payload bytes (a tag, then 0xFF),
    /// so a sector is never shared by two batches and never ends in zeros.
    case padding(payloadBytes: Int)

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
        case .padding(let payloadBytes):
            invariant(payloadBytes >= 1, "padding holds at least its tag")
            writer.u8(4)
            writer.bytes.append(contentsOf: repeatElement(0xFF, count: payloadBytes - 1))
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
        case 4:
            while !reader.isAtEnd { _ = try reader.u8() }
            record = .padding(payloadBytes: payload.count)
        default:
            throw .badTag(offset: offset, tag: tag)
        }
        guard reader.isAtEnd else { throw .badValue(offset: offset, what: "trailing bytes in record") }
        return record
    }
}

/// What scanning one segment found.
struct SegmentScan {
    /// How the segment ends after its last valid record.
    enum Tail: Equatable {
        /// The file ends with that record.
        case none
        /// Only zeros follow: space preallocated and never written (`FileDisk` grows segments ahead of use).
        case zeros
        /// A write a crash cut short or left with unwritten sectors.
        case torn
    }

    var records: [WALRecord] = []
    /// Bytes of valid records; whatever tail there is starts here.
    var validBytes = 0
    var tail = Tail.none
}

extension WALRecord {
    /// The unit a disk writes whole: a crash leaves each one old or new, never mixed.
    public static let sectorSize = 512

    /// Reads every record of a segment. On the last segment (`isLast`), a tail that is only zeros is unused
    /// preallocated space, and a record that runs past the end, or fails a check while a whole sector it
    /// touches is zeros, is a torn write; both are cut. Anything else that fails a check is corruption.
    ///
    /// The zero-sector rule is what a torn write into preallocated space looks like: writeback reaches the
    /// disk a sector at a time in any order, so a crash can keep the end of a write and lose its start.
    /// `WAL.write` pads every batch to a sector boundary with non-zero fill, so a lost sector of a batch reads
    /// as a whole sector of zeros, while an intact record shows one only when it holds 512 zero bytes
    /// itself. A record of the last segment that does, with a flipped bit, is taken for torn (etcd's WAL
    /// decoder makes the same call, on any zero chunk of a record).
    static func scan(_ bytes: [UInt8], file: String, isLast: Bool) throws(RecoveryError) -> SegmentScan {
        var scan = SegmentScan()
        var offset = 0
        func tornOrCorrupt(_ reason: String, zeroSectorIn range: Range<Int>) throws(RecoveryError) {
            guard isLast && hasZeroSector(bytes, range) else {
                throw .corrupt(file: file, offset: offset, reason: reason)
            }
            scan.tail = .torn
        }
        while offset < bytes.count {
            let remaining = bytes.count - offset
            if bytes[offset...].allSatisfy({ $0 == 0 }) {
                guard isLast else {
                    throw .corrupt(file: file, offset: offset, reason: "truncated record in a sealed segment")
                }
                scan.tail = .zeros
                break
            }
            if remaining < headerSize {
                guard isLast else {
                    throw .corrupt(file: file, offset: offset, reason: "truncated record in a sealed segment")
                }
                scan.tail = .torn
                break
            }
            var header = ByteReader(bytes[offset..<(offset + headerSize)])
            let length = Int(try! header.u32())
            let payloadCRC = try! header.u32()
            let headerCRC = try! header.u32()
            let actualHeaderCRC = CRC32C.checksum(bytes[offset..<(offset + 8)])
            if headerCRC != actualHeaderCRC {
                try tornOrCorrupt("header checksum mismatch: expected \(hex32(headerCRC)), found "
                                  + hex32(actualHeaderCRC), zeroSectorIn: offset..<(offset + headerSize))
                break
            }
            if length > payloadBytesMax {
                throw .corrupt(file: file, offset: offset, reason: "record length \(length) over limit")
            }
            if remaining - headerSize < length {
                guard isLast else {
                    throw .corrupt(file: file, offset: offset, reason: "record past end of a sealed segment")
                }
                scan.tail = .torn
                break
            }
            let end = offset + headerSize + length
            let payload = bytes[(offset + headerSize)..<end]
            let actual = CRC32C.checksum(payload)
            if actual != payloadCRC {
                try tornOrCorrupt("payload checksum mismatch: expected \(hex32(payloadCRC)), found \(hex32(actual))",
                                  zeroSectorIn: offset..<end)
                break
            }
            do {
                scan.records.append(try decodePayload(payload, at: offset))
            } catch {
                throw .corrupt(file: file, offset: offset, reason: "undecodable record: \(error)")
            }
            offset = end
            scan.validBytes = offset
        }
        return scan
    }

    /// Whether a sector that `range` touches is all zeros (a sector the file ends in: its part in the file).
    static func hasZeroSector(_ bytes: [UInt8], _ range: Range<Int>) -> Bool {
        var start = range.lowerBound / sectorSize * sectorSize
        while start < range.upperBound && start < bytes.count {
            let end = min(bytes.count, start + sectorSize)
            if bytes[start..<end].allSatisfy({ $0 == 0 }) { return true }
            start = end
        }
        return false
    }
}
