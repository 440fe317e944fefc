import Core
import Glibc
import RealNet

// keel: an etcd-compatible server. Thin: parse etcd's flags, open the data dir, serve, exit.

func logLine(_ message: String) { Log.write(.info, message) }

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
    for warning in parsed.warnings { Log.write(.warn, warning) }
} catch {
    if error.message == "help" {
        print(Flags.usage)
        exit(0)
    }
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

logLine("starting member \(config.name) with data dir \(config.dataDir)")
let server: Server
do throws(StartError) {
    let opened = try DataDir.open(
        path: config.dataDir, name: config.name, initialCluster: config.initialCluster,
        state: config.initialClusterState, token: config.initialClusterToken,
        advertisePeerURLs: config.initialAdvertisePeerURLs)
    let id = opened.identity.id
    logLine(opened.restarted ? "restarting member \(hex64(id.value)) from \(config.dataDir) "
            + "(--initial-* flags ignored)" : "new member \(hex64(id.value)) in cluster token "
            + "\(opened.identity.token), state \(config.initialClusterState)")
    if opened.recovered.tornBytesTruncated > 0 {
        logLine("WAL: truncated a torn final write of \(opened.recovered.tornBytesTruncated) bytes")
    }
    server = try Server(config: config, opened: opened, seed: UInt64.random(in: 1...UInt64.max), log: logLine)
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
logLine("shut down cleanly")
exit(0)
