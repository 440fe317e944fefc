import Glibc
import RealNet

/// snapshot save | restore.
let snapshotCommands: [Command] = [
    Command(name: "snapshot save", usage: "keelctl snapshot save <filename>", run: runSnapshotSave),
    Command(name: "snapshot restore", usage: "keelctl snapshot restore <filename> [options]",
            flags: [.value("data-dir"), .value("wal-dir"), .value("name", "default"),
                    .value("initial-cluster", "default=http://localhost:2380"),
                    .value("initial-cluster-token", "etcd-cluster"),
                    .value("initial-advertise-peer-urls", "http://localhost:2380"), .bool("skip-hash-check")],
            run: runSnapshotRestore),
    snapshotStatusCommand,
]

private func runSnapshotSave(_ invocation: Invocation) throws(CtlError) {
    guard invocation.positionals.count == 1 else {
        throw invocation.badArgs("snapshot save expects one argument")
    }
    let endpoints = invocation.options.endpoints
    guard endpoints.count == 1 else {
        let listed = endpoints.map(\.display).joined(separator: " ")
        throw CtlError(message: "snapshot must be requested to one selected node, not multiple [\(listed)]",
                       exitCode: ExitCode.badFeature)
    }
    let path = invocation.positionals[0]
    let partPath = path + ".part"
    let client = invocation.client
    let start = monotonicMicroseconds()
    var stream = try client.openStream("/v3/maintenance/snapshot", .object([]), deadline: client.commandDeadline)
    Out.error("fetching snapshot from \(endpoints[0].display)")
    var data: [UInt8] = []
    var pieces: [(blob: [UInt8], remaining: Int64)] = []
    let showProgress = isatty(2) == 1
    while let message = try stream.next(monotonicMilliseconds() + Int64(invocation.options.commandMilliseconds) * 6) {
        let blob = message["blob"]?.bytes ?? []
        let remaining = message["remaining_bytes"]?.int64 ?? 0
        pieces.append((blob, remaining))
        data += blob
        if showProgress {
            let total = data.count + Int(remaining)
            Out.writeAll(2, Array("\rreceived \(humanBytes(Int64(data.count))) of \(humanBytes(Int64(total)))".utf8))
        }
    }
    if showProgress { Out.writeAll(2, [10]) }
    // etcd ends with a 32-byte SHA-256 line after the last data line; keel's format checksums itself. An
    // etcd-format (bbolt) stream keeps it: `snapshot restore` checks it, as etcdctl's does.
    if !EtcdSnapshotFile.isBolt(data), pieces.count >= 2, pieces[pieces.count - 1].blob.count == 32,
       pieces[pieces.count - 2].remaining == 0 {
        data.removeLast(32)
    }
    guard !data.isEmpty else { throw CtlError(message: "empty snapshot received", exitCode: ExitCode.error) }
    try writeFile(partPath, data)
    guard rename(partPath, path) == 0 else {
        throw CtlError(message: "could not rename \(partPath) to \(path): \(String(cString: strerror(errno)))",
                       exitCode: ExitCode.error)
    }
    let took = goDuration(microseconds: monotonicMicroseconds() - start)
    Out.error("fetched snapshot from \(endpoints[0].display): \(humanBytes(Int64(data.count))) in \(took)")
    Out.line("Snapshot saved at \(path)")
}

private func writeFile(_ path: String, _ bytes: [UInt8]) throws(CtlError) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else {
        throw CtlError(message: "could not open \(path) (\(String(cString: strerror(errno))))", exitCode: 1)
    }
    Out.writeAll(fd, bytes)
    let synced = fsync(fd)
    close(fd)
    if synced != 0 { throw CtlError(message: "could not sync \(path)", exitCode: ExitCode.error) }
}

/// The bytes of the file at `path` (a snapshot to restore or report on).
func readSnapshotFile(_ path: String) throws(CtlError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
        throw CtlError(message: "open \(path): \(String(cString: strerror(errno)))", exitCode: ExitCode.error)
    }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { break }
        bytes += chunk[0..<count]
    }
    return bytes
}

/// `a=http://h:1,a=http://h:2,b=…` → members with their peer URLs, in first-seen order.
func parseInitialCluster(_ text: String) throws(CtlError) -> [(name: String, peerURLs: [String])] {
    var members: [(name: String, peerURLs: [String])] = []
    for part in text.split(separator: ",") {
        guard let equals = part.firstIndex(of: "=") else {
            throw .badArgs("--initial-cluster: \"\(part)\" is not name=peer-url")
        }
        let name = String(part[..<equals])
        let url = String(part[part.index(after: equals)...])
        if let k = members.firstIndex(where: { $0.name == name }) {
            members[k].peerURLs.append(url)
        } else {
            members.append((name, [url]))
        }
    }
    return members
}

private func runSnapshotRestore(_ invocation: Invocation) throws(CtlError) {
    guard invocation.positionals.count == 1 else {
        throw invocation.badArgs("snapshot restore requires exactly one argument")
    }
    let flags = invocation.arguments
    let name = flags.value("name")
    let dataDir = flags.has("data-dir") ? flags.value("data-dir") : name + ".keel"
    var cluster = try parseInitialCluster(flags.value("initial-cluster"))
    let advertised = flags.value("initial-advertise-peer-urls").split(separator: ",").map(String.init)
    if !flags.has("initial-cluster") && name != "default" {
        cluster = [(name, advertised)]
    }
    if let me = cluster.first(where: { $0.name == name }), Set(me.peerURLs) != Set(advertised) {
        throw invocation.badArgs("--initial-cluster has \(name)=\(me.peerURLs.joined(separator: ",")) but "
                                 + "--initial-advertise-peer-urls is \(advertised.joined(separator: ","))")
    }
    var status = stat()
    if stat(dataDir, &status) == 0 {
        throw CtlError(message: "data-dir \"\(dataDir)\" exists", exitCode: ExitCode.error)
    }
    var bytes = try readSnapshotFile(invocation.positionals[0])
    if !EtcdSnapshotFile.isKeel(bytes) && EtcdSnapshotFile.isBolt(bytes) {
        // An etcd backup (`etcdctl snapshot save`, or member/snap/db with --skip-hash-check): its data become a
        // keel snapshot, which is then restored as keel's own.
        do {
            bytes = try EtcdSnapshotFile.keelSnapshot(fromEtcd: bytes, skipHashCheck: flags.bool("skip-hash-check"))
        } catch {
            throw CtlError(message: "\(error)", exitCode: ExitCode.error)
        }
    }
    let identity: MemberIdentity
    do {
        identity = try DataDir.restore(snapshot: bytes, path: dataDir, name: name, initialCluster: cluster,
                                       token: flags.value("initial-cluster-token"))
    } catch {
        throw CtlError(message: "\(error)", exitCode: ExitCode.error)
    }
    Out.error("restored snapshot \(invocation.positionals[0]) into \(dataDir) as member \(hexID(identity.id.value)) "
              + "(\(name)) of a \(cluster.count)-member cluster")
}
