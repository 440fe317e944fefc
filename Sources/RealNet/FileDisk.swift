import Core
import Glibc  // fstat/fstatat: telling the WAL directory apart when it sits inside the data directory.

/// Core's `Disk` over a real directory: one file per name, appends with `O_APPEND`, durability with
/// `fdatasync` of the file and `fsync` of the directory when a file was created, renamed or removed.
///
/// WAL segments are written at offsets of our own instead, into zeros written ahead of use
/// (`FileDisk+Preallocation.swift`): an `fdatasync` that need not write the inode is about half as long.
///
/// With a WAL directory (etcd's --wal-dir), names beginning `wal-` (the WAL's segments) live there and every
/// other name in the data directory; `fileNames()` lists both as one namespace, and each directory is synced
/// when a file in it was created, renamed or removed.
///
/// A class, not a struct: it owns descriptors (the directory, the file being appended to), which are
/// resources with identity. Use it from one thread at a time (the disk thread; recovery before that).
///
/// Group commit: between `beginGroup()` and `endGroup()`, `sync(_:)` only notes the file; `endGroup()`
/// then syncs each noted file once. Core's `WAL.write` syncs after every batch, so writing N batches in one
/// group costs one `fdatasync` instead of N (DESIGN.md, Storage: group commit).
public final class FileDisk: Disk {
    /// The directory, without a trailing slash.
    public let directory: String
    private let directoryFD: OwnedFD
    /// The directory holding the `wal-` files, without a trailing slash; nil when they are in `directory`.
    public let walDirectory: String?
    private var walDirectoryFD: OwnedFD?
    /// The WAL directory's device and inode, to leave it out of the data directory's names when it is inside.
    private let walDirectoryIdentity: (device: UInt64, inode: UInt64)?
    /// Prefix of the names kept in `walDirectory`.
    public static let walPrefix = "wal-"
    /// The file last appended to and its open descriptor: the WAL appends to one segment.
    private(set) var appendName: String?
    private var appendFD: OwnedFD?
    /// The append file's descriptor, if one is open.
    var openAppendFD: Int32? { appendFD?.rawValue }
    /// Whether the append file is written with `pwrite` at `appendOffset` and grown ahead by
    /// `preallocationBytes` of zeros (a WAL segment), rather than with `O_APPEND`.
    var appendPreallocates = false
    /// The append file's end as `append` wrote it, and its size on disk (zeros past the end).
    var appendOffset = 0
    var allocatedEnd = 0
    /// Growing the append file failed (a full disk): no more zeros ahead of it.
    var growthStopped = false
    /// Zeros written ahead of a WAL segment's end at a time (0: segments are appended to like any file).
    public let preallocationBytes: Int
    /// A file was created, renamed or removed since the directory (the WAL directory) was last synced.
    private var directoryDirty = false
    private var walDirectoryDirty = false
    /// Inside a group: names whose sync is deferred to `endGroup`, in first-sync order, no duplicates.
    private var grouping = false
    private var deferredSyncs: [String] = []
    /// Calls to `fdatasync`/`fsync`, for tests and metrics.
    public internal(set) var syncCount = 0

    /// Suffix of the temporary file `writeAtomically` renames into place; leftovers are removed at open.
    public static let temporarySuffix = ".tmp"

    /// Opens (creating if missing, mode 0700) a data directory, and the WAL directory if one is given (the
    /// data directory's own path is the same as none), and removes temporary files a crash left.
    public init(directory: String, walDirectory: String? = nil, preallocationBytes: Int = 1 << 20)
        throws(DiskError)
    {
        precondition(preallocationBytes >= 0, "negative preallocation")
        self.preallocationBytes = preallocationBytes
        let path = FileDisk.trimmed(directory)
        self.directory = path
        directoryFD = try FileDisk.openCreating(path)
        if let walDirectory, FileDisk.trimmed(walDirectory) != path {
            let walPath = FileDisk.trimmed(walDirectory)
            self.walDirectory = walPath
            let fd = try FileDisk.openCreating(walPath)
            var status = stat()
            walDirectoryIdentity = fstat(fd.rawValue, &status) == 0
                ? (UInt64(status.st_dev), UInt64(status.st_ino)) : nil
            walDirectoryFD = consume fd
        } else {
            self.walDirectory = nil
            walDirectoryFD = nil
            walDirectoryIdentity = nil
        }
        for name in try listNames() where name.hasSuffix(FileDisk.temporarySuffix) {
            try unlinkFile(name)
        }
    }

    private static func trimmed(_ directory: String) -> String {
        var path = directory
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        precondition(!path.isEmpty, "FileDisk needs a directory path")
        return path
    }

    private static func openCreating(_ path: String) throws(DiskError) -> OwnedFD {
        do {
            try Syscall.makeDirectory(path)
        } catch {
            if error != .exists { throw FileDisk.map(error, file: path, operation: "mkdir") }
        }
        do {
            return try Syscall.openDirectory(path)
        } catch {
            throw FileDisk.map(error, file: path, operation: "open")
        }
    }

    // MARK: Disk

    /// Regular file names, sorted. A directory that cannot be listed any more is fatal: returning fewer
    /// names could make recovery think the member is new.
    public func fileNames() -> [String] {
        do {
            return try listNames()
        } catch {
            fatalError("data directory \(directory) (or WAL directory) cannot be listed: \(error)")
        }
    }

    public func read(_ name: String) throws(DiskError) -> [UInt8] {
        do throws(Errno) {
            let file = try Syscall.openForReading(path(name))
            let size = try Syscall.fileSize(file.rawValue)
            var bytes = [UInt8](repeating: 0, count: size)
            var done = 0
            try bytes.withMutableBytes { (buffer) throws(Errno) in
                while done < size {
                    let rest = UnsafeMutableRawBufferPointer(rebasing: buffer[done...])
                    let count = try Syscall.pread(file.rawValue, into: rest, offset: done)
                    if count == 0 { break }  // maybe: the file shrank under us.
                    done += count
                }
            }
            if done < size { bytes.removeSubrange(done...) }
            return bytes
        } catch {
            throw FileDisk.map(error, file: name, error == .notFound ? "open" : "read")
        }
    }

    public func append(_ name: String, _ bytes: [UInt8]) throws(DiskError) {
        precondition(FileDisk.isPlain(name), "bad file name \(name)")
        let fd = try appendDescriptor(name)
        do throws(Errno) {
            if appendPreallocates {
                let offset = appendOffset
                try bytes.withBytes { (raw) throws(Errno) in try Syscall.pwriteAll(fd, raw, offset: offset) }
                appendOffset += bytes.count
                allocatedEnd = max(allocatedEnd, appendOffset)
            } else {
                try bytes.withBytes { (raw) throws(Errno) in try Syscall.writeAll(fd, raw) }
            }
        } catch {
            // maybe: a short write on ENOSPC; the torn tail is recovery's to cut. A segment stays open at the
            // same end, so a retry writes over the torn part instead of after it.
            if !appendPreallocates { closeAppendFile() }
            throw FileDisk.map(error, file: name, "write")
        }
    }

    public func sync(_ name: String) throws(DiskError) {
        if grouping {
            if !deferredSyncs.contains(name) { deferredSyncs.append(name) }
            return
        }
        try syncNow(name)
    }

    public func writeAtomically(_ name: String, _ bytes: [UInt8]) throws(DiskError) {
        precondition(FileDisk.isPlain(name), "bad file name \(name)")
        if appendName == name { closeAppendFile() }
        let temporary = name + FileDisk.temporarySuffix
        do throws(Errno) {
            let file = try Syscall.openTruncating(path(temporary))
            try bytes.withBytes { (raw) throws(Errno) in try FileDisk.writePaced(file.rawValue, raw) }
            try Syscall.fdatasync(file.rawValue)
            syncCount += 1
            file.close()
            try Syscall.rename(path(temporary), path(name))
        } catch {
            try? unlinkFile(temporary)
            throw FileDisk.map(error, file: name, "write atomically")
        }
        markDirty(name)
        try syncDirectory()
    }

    /// Bytes written between writeback steps of a large file.
    static let pacingChunk = 4 << 20

    /// Writes a large file in chunks, starting each chunk's writeback as it is written and waiting for the
    /// one before: dirty pages stay under two chunks, so the final `fdatasync` is short and the device never
    /// takes a burst of the whole file while the WAL waits on its own fsyncs. Written pages leave the page
    /// cache (a snapshot file is read back only for a transfer).
    static func writePaced(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            let count = min(pacingChunk, bytes.count - offset)
            try Syscall.writeAll(fd, UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]))
            if bytes.count > pacingChunk {
                try Syscall.syncFileRange(fd, offset: offset, count: count, wait: false)
                if offset >= pacingChunk {
                    let previous = offset - pacingChunk
                    try Syscall.syncFileRange(fd, offset: previous, count: pacingChunk, wait: true)
                    Syscall.dropCachedPages(fd, offset: previous, count: pacingChunk)
                }
            }
            offset += count
        }
    }

    public func truncate(_ name: String, size: Int) throws(DiskError) {
        precondition(size >= 0, "negative truncate size")
        if appendName == name { closeAppendFile() }  // Its end moves: the next append reopens it.
        do {
            let file = try Syscall.openForWriting(path(name))
            try Syscall.truncate(file.rawValue, size: size)
            try Syscall.fdatasync(file.rawValue)
            syncCount += 1
        } catch {
            throw FileDisk.map(error, file: name, "truncate")
        }
    }

    /// Removes a file and syncs the directory. Removing a missing file does nothing (as `SimDisk`).
    public func remove(_ name: String) throws(DiskError) {
        if appendName == name { closeAppendFile() }
        do {
            try Syscall.unlink(path(name))
        } catch {
            if error == .notFound { return }
            throw FileDisk.map(error, file: name, "unlink")
        }
        markDirty(name)
        try syncDirectory()
    }

    // MARK: Group commit

    /// Defers `sync(_:)` calls until `endGroup()`.
    public func beginGroup() {
        precondition(!grouping, "groups do not nest")
        precondition(deferredSyncs.isEmpty, "a group left syncs behind")
        grouping = true
    }

    /// Whether a group is open.
    public var isGrouping: Bool { grouping }

    /// Syncs every file synced during the group, once each, in first-sync order.
    public func endGroup() throws(DiskError) {
        precondition(grouping, "endGroup without beginGroup")
        grouping = false
        let names = deferredSyncs
        deferredSyncs.removeAll(keepingCapacity: true)
        for name in names { try syncNow(name) }
        precondition(deferredSyncs.isEmpty, "a sync was deferred outside a group")
    }

    // MARK: Helpers

    /// Whether `name` lives in the WAL directory.
    private func inWALDirectory(_ name: String) -> Bool {
        walDirectory != nil && name.hasPrefix(FileDisk.walPrefix)
    }

    private func path(_ name: String) -> String {
        if inWALDirectory(name), let walDirectory { return walDirectory + "/" + name }
        return directory + "/" + name
    }

    private func markDirty(_ name: String) {
        if inWALDirectory(name) { walDirectoryDirty = true } else { directoryDirty = true }
    }

    private static func isPlain(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.utf8.contains(UInt8(ascii: "/"))
    }

    /// The data directory's names and, with a WAL directory, its `wal-` names in place of the data
    /// directory's: one namespace, sorted.
    private func listNames() throws(DiskError) -> [String] {
        var names: [String]
        do {
            names = try Syscall.listDirectory(directory)
        } catch {
            throw FileDisk.map(error, file: directory, operation: "list")
        }
        if let walDirectory {
            names.removeAll { $0.hasPrefix(FileDisk.walPrefix) || isWALDirectory($0) }
            do {
                names += try Syscall.listDirectory(walDirectory).filter { $0.hasPrefix(FileDisk.walPrefix) }
            } catch {
                throw FileDisk.map(error, file: walDirectory, operation: "list")
            }
        }
        return names.sorted()
    }

    /// Whether the data directory's entry `name` is the WAL directory (--wal-dir <data-dir>/wal).
    private func isWALDirectory(_ name: String) -> Bool {
        guard let identity = walDirectoryIdentity else { return false }
        var status = stat()
        return fstatat(directoryFD.rawValue, name, &status, 0) == 0 && UInt64(status.st_dev) == identity.device
            && UInt64(status.st_ino) == identity.inode
    }

    /// The append file's descriptor, opening `name` if it is another file. A WAL segment left behind is
    /// sealed first (`sealAppendFile`).
    private func appendDescriptor(_ name: String) throws(DiskError) -> Int32 {
        if appendName == name, let fd = appendFD?.rawValue { return fd }
        try sealAppendFile()
        closeAppendFile()
        let preallocates = preallocationBytes > 0 && name.hasPrefix(FileDisk.walPrefix)
        do {
            let file = preallocates ? try Syscall.openForWritingAt(path(name))
                : try Syscall.openForAppending(path(name))
            let size = try Syscall.fileSize(file.rawValue)
            if size == 0 { markDirty(name) }  // maybe: just created.
            let raw = file.rawValue
            appendFD = consume file
            appendName = name
            appendPreallocates = preallocates
            growthStopped = false
            appendOffset = size  // Recovery cut any zeros a segment had past its end.
            allocatedEnd = size
            return raw
        } catch {
            throw FileDisk.map(error, file: name, "open")
        }
    }

    func closeAppendFile() {
        if let file = appendFD.take() { file.close() }
        appendName = nil
        appendPreallocates = false
    }

    func syncNow(_ name: String) throws(DiskError) {
        do {
            if appendName == name, let fd = appendFD?.rawValue {
                try Syscall.fdatasync(fd)
            } else {
                let file = try Syscall.openForReading(path(name))  // fdatasync needs no write access.
                try Syscall.fdatasync(file.rawValue)
            }
            syncCount += 1
        } catch {
            throw FileDisk.map(error, file: name, "fdatasync")
        }
        try syncDirectory()
    }

    /// Syncs each directory in which a file was created, renamed or removed since its last sync.
    private func syncDirectory() throws(DiskError) {
        if directoryDirty {
            do {
                try Syscall.fsync(directoryFD.rawValue)
            } catch {
                throw FileDisk.map(error, file: directory, operation: "fsync")
            }
            syncCount += 1
            directoryDirty = false
        }
        if walDirectoryDirty, let fd = walDirectoryFD?.rawValue, let walDirectory {
            do {
                try Syscall.fsync(fd)
            } catch {
                throw FileDisk.map(error, file: walDirectory, operation: "fsync")
            }
            syncCount += 1
            walDirectoryDirty = false
        }
    }

    private func unlinkFile(_ name: String) throws(DiskError) {
        do { try Syscall.unlink(path(name)) } catch { throw FileDisk.map(error, file: name, operation: "unlink") }
        markDirty(name)
    }

    static func map(_ error: Errno, file: String, _ operation: String) -> DiskError {
        map(error, file: file, operation: operation)
    }

    /// ENOSPC and EDQUOT are `noSpace`, ENOENT is `notFound`, the rest `ioFailed` with the errno.
    static func map(_ error: Errno, file: String, operation: String) -> DiskError {
        switch error {
        case .noSpace, .quotaExceeded: .noSpace(file: file)
        case .notFound: .notFound(file: file)
        default: .ioFailed(file: file, operation: operation, code: error.rawValue)
        }
    }
}
