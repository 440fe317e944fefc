import Core

/// An in-memory disk with faults: writes are volatile until their sync completes in virtual time; a crash
/// keeps the durable state plus a prefix of the volatile writes, the last of which may be torn.
///
/// The model is ordered writes (data=ordered): what is durable is always a prefix of what was written.
public struct SimDisk: Disk, Sendable {
    /// What survives a crash.
    private var durable: [String: [UInt8]] = [:]
    /// What reads see now: durable plus volatile writes.
    private var current: [String: [UInt8]] = [:]
    /// Writes since the last completed sync, in order.
    private var volatile: [Operation] = []
    /// For each sync requested and not yet completed: how many volatile writes it covers.
    private var syncMarks: [Int] = []
    /// When set, the next append fails (an injected write error).
    public var failNextWrite = false
    /// Whether the newest WAL segment has zeros past its end, as `FileDisk` writes them ahead of use: drawn
    /// at the first crash and kept, so a tail torn in one crash is read in the same world after the next.
    private var preallocates: Bool?

    enum Operation: Sendable {
        case append(String, [UInt8])
        case replace(String, [UInt8])
        case truncate(String, Int)
        case remove(String)
    }

    public init() {}

    public func fileNames() -> [String] { current.keys.sorted() }

    public func read(_ name: String) throws(DiskError) -> [UInt8] {
        guard let bytes = current[name] else { throw .notFound(file: name) }
        return bytes
    }

    public mutating func append(_ name: String, _ bytes: [UInt8]) throws(DiskError) {
        if failNextWrite {
            failNextWrite = false
            throw .ioFailed(file: name, operation: "write", code: 5)
        }
        current[name, default: []].append(contentsOf: bytes)
        volatile.append(.append(name, bytes))
    }

    public mutating func sync(_ name: String) throws(DiskError) {
        syncMarks.append(volatile.count)
    }

    public mutating func writeAtomically(_ name: String, _ bytes: [UInt8]) throws(DiskError) {
        current[name] = bytes
        volatile.append(.replace(name, bytes))
    }

    public mutating func truncate(_ name: String, size: Int) throws(DiskError) {
        guard current[name] != nil else { throw .notFound(file: name) }
        current[name]!.removeSubrange(size...)
        volatile.append(.truncate(name, size))
    }

    public mutating func remove(_ name: String) throws(DiskError) {
        current[name] = nil
        volatile.append(.remove(name))
    }

    /// The oldest outstanding sync completed: the writes before it are durable.
    public mutating func completeSync() {
        guard !syncMarks.isEmpty else { return }
        let covered = syncMarks.removeFirst()
        for k in 0..<covered { SimDisk.apply(volatile[k], to: &durable) }
        volatile.removeFirst(covered)
        for k in syncMarks.indices { syncMarks[k] -= covered }
    }

    /// Power loss: keeps the durable state and a random prefix of the volatile writes; the last kept
    /// append may be torn: cut short, or kept whole with some of its sectors never written (zeros, as when
    /// writing into preallocated space). On a disk that `preallocates`, a cut falls on a sector boundary and
    /// the newest WAL segment may end in zeros. - Returns: bytes lost or torn, for the trace.
    public mutating func crash(prng: inout Prng, tornWrites: Bool) -> Int {
        // Half the time every unsynced write is gone; otherwise a random prefix of them reached the platter.
        let keep = volatile.isEmpty || prng.chance(Ratio(1, 2)) ? 0 : prng.int(below: volatile.count + 1)
        if preallocates == nil { preallocates = prng.chance(Ratio(1, 2)) }
        // Into preallocated space a write tears by whole sectors (each holds old zeros or new bytes).
        let zeroTail = preallocates! && prng.chance(Ratio(3, 4))
        var lost = 0
        for k in 0..<volatile.count {
            if k < keep {
                SimDisk.apply(volatile[k], to: &durable)
            } else if case .append(let name, let bytes) = volatile[k] {
                if k == keep && tornWrites && !bytes.isEmpty && prng.chance(Ratio(1, 2)) {
                    let start = durable[name]?.count ?? 0  // The write's offset in its file.
                    if prng.chance(Ratio(1, 2)) {
                        var cut = prng.int(below: bytes.count)
                        if preallocates! {
                            cut = max(0, (start + cut) / WALRecord.sectorSize * WALRecord.sectorSize - start)
                        }
                        SimDisk.apply(.append(name, Array(bytes[..<cut])), to: &durable)
                        lost += bytes.count - cut
                    } else {
                        let torn = SimDisk.unwrittenSectors(bytes, at: start, prng: &prng)
                        SimDisk.apply(.append(name, torn), to: &durable)
                        lost += bytes.count
                    }
                } else {
                    lost += bytes.count
                }
            }
        }
        if zeroTail, let newest = durable.keys.filter({ WAL.segmentSeq(ofFile: $0) != nil }).max() {
            durable[newest]!.append(contentsOf: repeatElement(0, count: 1 + prng.int(below: 4096)))
        }
        volatile.removeAll()
        syncMarks.removeAll()
        current = durable
        failNextWrite = false
        return lost
    }

    /// `bytes` written at file offset `start` with at least one of the disk sectors it touches left unwritten:
    /// that sector's part of the write reads as zeros.
    static func unwrittenSectors(_ bytes: [UInt8], at start: Int, prng: inout Prng) -> [UInt8] {
        let sector = WALRecord.sectorSize
        var torn = bytes
        var sectors: [Range<Int>] = []
        var from = 0
        while from < bytes.count {
            let to = min(bytes.count, ((start + from) / sector + 1) * sector - start)
            sectors.append(from..<to)
            from = to
        }
        let lostOne = prng.int(below: sectors.count)
        for (k, range) in sectors.enumerated() where k == lostOne || prng.chance(Ratio(1, 4)) {
            for i in range { torn[i] = 0 }
        }
        return torn
    }

    /// Flips one bit of a durable byte in a WAL segment or snapshot file (bit rot).
    /// - Returns: the file and offset changed, or nil if there is nothing durable to corrupt.
    public mutating func corrupt(prng: inout Prng) -> (file: String, offset: Int)? {
        let candidates = durable.keys.sorted().filter { !(durable[$0]!.isEmpty) }
        guard !candidates.isEmpty else { return nil }
        let name = candidates[prng.int(below: candidates.count)]
        let offset = prng.int(below: durable[name]!.count)
        let bit = UInt8(1) << UInt8(prng.int(below: 8))
        durable[name]![offset] ^= bit
        if current[name] != nil && offset < current[name]!.count { current[name]![offset] ^= bit }
        return (name, offset)
    }

    /// Bytes held durably, for tests.
    public func durableBytes(_ name: String) -> [UInt8]? { durable[name] }

    private static func apply(_ op: Operation, to files: inout [String: [UInt8]]) {
        switch op {
        case .append(let name, let bytes): files[name, default: []].append(contentsOf: bytes)
        case .replace(let name, let bytes): files[name] = bytes
        case .truncate(let name, let size):
            if files[name] != nil && files[name]!.count > size { files[name]!.removeSubrange(size...) }
        case .remove(let name): files[name] = nil
        }
    }
}
