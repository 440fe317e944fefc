import Core
import Glibc
import RealNet

// keel: an etcd-compatible server. Thin: parse etcd's flags, open the data dir, serve, exit.

/// One line on stderr (and at error level in the log, when the log goes elsewhere), then exit.
func fail(_ message: String, code: Int32) -> Never {
    if Log.descriptors != [2] { Log.write(.error, message) }
    var line = "keel: \(message)\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    exit(code)
}

let config: ServerConfig
do throws(FlagError) {
    guard let parsed = try Flags.parse(Array(CommandLine.arguments.dropFirst()),
                                       environment: { name in getenv(name).map { String(cString: $0) } }) else {
        print("keel Version: 0.1.0\netcd API compatibility: 3.4.23")
        exit(0)
    }
    config = parsed.config
    if let problem = Log.open(parsed.log) { fail(problem, code: 1) }
    for note in parsed.notes { Log.write(.info, note) }
    for warning in parsed.warnings { Log.write(.warn, warning) }
} catch {
    if error.message == "help" {
        print(Flags.usage)
        exit(0)
    }
    if error.exitStatus != 2 { fail(error.message, code: error.exitStatus) }  // A configuration file's: one line.
    fail("\(error.message)\n\(Flags.usage)", code: 2)
}

/// systemd's $NOTIFY_SOCKET, when keel runs as a `Type=notify` unit.
let notifySocket = getenv("NOTIFY_SOCKET").map { String(cString: $0) }
func notifySystemd(_ state: String) {
    guard let notifySocket else { return }
    if let problem = SystemdNotify.send(state, to: notifySocket) { Log.write(.warn, "systemd notify: \(problem)") }
}

// Signals are taken by a thread of their own (sigwait), so every other thread blocks them.
var signals = sigset_t()
sigemptyset(&signals)
sigaddset(&signals, SIGINT)
sigaddset(&signals, SIGTERM)
sigaddset(&signals, SIGPIPE)
pthread_sigmask(SIG_BLOCK, &signals, nil)

Log.write(LogEvent(.info, "embed", "starting an etcd server", [
    "keel-version": "0.1.0", "etcd-api-version": "3.4.23", "name": .string(config.name),
    "data-dir": .string(config.dataDir), "wal-dir": .string(config.walDir ?? ""),
    "initial-advertise-peer-urls": .strings(config.initialAdvertisePeerURLs),
    "listen-peer-urls": .strings(config.listenPeerURLs), "advertise-client-urls": .strings(config.advertiseClientURLs),
    "listen-client-urls": .strings(config.listenClientURLs), "listen-metrics-urls": .strings(config.listenMetricsURLs),
    "initial-cluster": .string(config.initialCluster.flatMap { m in m.peerURLs.map { "\(m.name)=\($0)" } }
        .joined(separator: ",")),
    "initial-cluster-state": .string(config.initialClusterState),
    "initial-cluster-token": .string(config.initialClusterToken),
    "heartbeat-interval": .string("\(config.heartbeatMilliseconds)ms"),
    "election-timeout": .string("\(config.electionMilliseconds)ms"),
    "snapshot-count": .number(config.snapshotCount), "quota-size-bytes": .number(config.quotaBackendBytes),
    "pre-vote": .bool(config.preVote),
], text: "starting member \(config.name) with data dir \(config.dataDir)"))
let server: Server
do throws(StartError) {
    var opened = try DataDir.open(
        path: config.dataDir, walDir: config.walDir, name: config.name, initialCluster: config.initialCluster,
        state: config.initialClusterState, token: config.initialClusterToken,
        advertisePeerURLs: config.initialAdvertisePeerURLs)
    let id = opened.identity.id
    if config.forceNewCluster {
        let removed = try DataDir.forceNewCluster(&opened, path: config.dataDir)
        Log.write(LogEvent(.info, "etcdserver", "forcing restart member",
                           ["local-member-id": .string(Server.idText(id)),
                            "removed-member-ids": .strings(removed.map { Server.idText($0) })],
                           text: "forcing restart of member \(Server.idText(id)) as a one-member cluster; removed "
                               + (removed.isEmpty ? "none" : removed.map { Server.idText($0) }.joined(separator: ","))))
    }
    if opened.restarted {
        Log.write(LogEvent(.info, "etcdserver", "restarting local member",
                           ["local-member-id": .string(Server.idText(id))],
                           text: "restarting member \(Server.idText(id)) from \(config.dataDir) "
                               + "(--initial-* flags ignored)"))
    } else {
        Log.write(LogEvent(.info, "etcdserver", "starting local member",
                           ["local-member-id": .string(Server.idText(id))],
                           text: "new member \(Server.idText(id)) in cluster token \(opened.identity.token), state "
                           + config.initialClusterState))
    }
    if opened.recovered.tornBytesTruncated > 0 {
        Log.write(LogEvent(.warn, "wal", "truncated a torn final write",
                           ["bytes": .number(opened.recovered.tornBytesTruncated)],
                           text: "WAL: truncated a torn final write of \(opened.recovered.tornBytesTruncated) bytes"))
    }
    server = try Server(config: config, opened: opened, seed: UInt64.random(in: 1...UInt64.max), log: Log.write)
    server.onReady = { notifySystemd("READY=1") }
} catch {
    fail("\(error)", code: 1)
}

let stopSignal = server.signal
let signalThread = NativeThread(name: "keel-signals") {
    var waited = sigset_t()
    sigemptyset(&waited)
    sigaddset(&waited, SIGINT)
    sigaddset(&waited, SIGTERM)
    var received: Int32 = 0
    while sigwait(&waited, &received) == 0 {
        if received == SIGINT || received == SIGTERM {
            Log.write(LogEvent(.info, "osutil", "received signal; shutting down",
                               ["signal": .string(received == SIGINT ? "interrupt" : "terminated")],
                               text: "received \(received == SIGINT ? "interrupt" : "terminated") signal, "
                                   + "shutting down..."))
            notifySystemd("STOPPING=1")
            stopSignal.requestStop()
            return
        }
    }
}

do throws(StartError) {
    try server.run()
} catch {
    fail("\(error)", code: 1)
}
Log.write(.info, "shut down cleanly")
exit(0)
