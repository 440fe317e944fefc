import Core
import RealNet

/// `snapshot status <file>`: etcdctl's report of a snapshot file (hash, revision, total keys, total size), for
/// etcd's files and keel's (a keel file is reported as the etcd file it converts to).
let snapshotStatusCommand = Command(name: "snapshot status", usage: "keelctl snapshot status <filename>",
                                    run: runSnapshotStatus)

private func runSnapshotStatus(_ invocation: Invocation) throws(CtlError) {
    guard invocation.positionals.count == 1 else {
        throw invocation.badArgs("snapshot status requires exactly one argument")
    }
    try invocation.require(.simple, .json, .table, .fields)
    let bytes = try readSnapshotFile(invocation.positionals[0])
    let status: EtcdSnapshotFile.Status
    do { status = try EtcdSnapshotFile.anyStatus(bytes) } catch {
        throw CtlError(message: "\(error)", exitCode: ExitCode.error)
    }
    let row = [String(status.hash, radix: 16), String(status.revision), String(status.totalKey),
               humanBytes(status.totalSize)]
    switch invocation.format {
    case .json:
        Out.line("{\"hash\":\(status.hash),\"revision\":\(status.revision),\"totalKey\":\(status.totalKey),"
                 + "\"totalSize\":\(status.totalSize)}")
    case .table:
        printTable(header: ["HASH", "REVISION", "TOTAL KEYS", "TOTAL SIZE"], rows: [row])
    case .fields:
        Out.line("\"Hash\" : \(status.hash)")
        Out.line("\"Revision\" : \(status.revision)")
        Out.line("\"Keys\" : \(status.totalKey)")
        Out.line("\"Size\" : \(status.totalSize)")
    default:
        Out.line(row.joined(separator: ", "))
    }
}
