import Core

/// WAL segments grow ahead of use: zeros are written past a segment's end, so a batch overwrites blocks the
/// file already has and its `fdatasync` writes the data without the inode (the size did not change) and
/// without a journal commit. On this project's VM disk that halves an `fdatasync` of an 8 KiB batch
/// (about 240 µs appending, 130 µs into written zeros; `fallocate`'s unwritten extents gained little,
/// since each write converts them, itself a metadata change).
///
/// Recovery reads the zeros past the last record as unused space and cuts them (`WALRecord.scan`), and a
/// write torn inside them shows sectors of zeros; a sealed segment must end at its last record, so one left
/// for the next is cut to its end and synced before anything is written to the next (`sealAppendFile`).
extension FileDisk {
    /// Zeros written at a time, shared by every disk.
    static let zeros = [UInt8](repeating: 0, count: 1 << 20)

    /// After a group's sync (WAL thread): when less than half of `preallocationBytes` of zeros is left past
    /// the segment's end, writes that much more and starts its writeback without waiting, so the zeros are
    /// on disk by the next group's `fdatasync` or nearly. A failure only ends the growing: appends still
    /// write past the end as any file does, and a full disk fails them as before.
    public func preallocateAhead() {
        guard appendPreallocates, !growthStopped, let fd = openAppendFD,
              allocatedEnd - appendOffset < preallocationBytes / 2 else { return }
        let start = allocatedEnd
        var written = 0
        do throws(Errno) {
            while written < preallocationBytes {
                let count = min(FileDisk.zeros.count, preallocationBytes - written)
                try FileDisk.zeros.withBytes { (raw) throws(Errno) in
                    try Syscall.pwriteAll(fd, UnsafeRawBufferPointer(rebasing: raw[..<count]), offset: start + written)
                }
                written += count
            }
            try Syscall.syncFileRange(fd, offset: start, count: written, wait: false)
        } catch {
            growthStopped = true  // Until the next segment; `sealAppendFile` cuts whatever zeros were written.
        }
        allocatedEnd = start + written
    }

    /// Before leaving a WAL segment for another file: cuts it to its last record (a sealed segment has no
    /// zeros past its end) and makes it durable, so it is whole on disk before the next one gets a byte.
    func sealAppendFile() throws(DiskError) {
        guard let name = appendName, name.hasPrefix(FileDisk.walPrefix), let fd = openAppendFD else { return }
        do {
            if appendPreallocates, try Syscall.fileSize(fd) != appendOffset {
                try Syscall.truncate(fd, size: appendOffset)
                allocatedEnd = appendOffset
            }
            try Syscall.fdatasync(fd)
            syncCount += 1
        } catch {
            throw FileDisk.map(error, file: name, "seal")
        }
    }
}
