import Core
import Glibc

/// The daemon: one event-loop thread owns the Replica, the client and peer sockets and the timer; a disk
/// thread makes WAL batches durable (group commit) and wakes the loop when they are (DESIGN.md, "The
/// daemon"). Everything the Replica asks for arrives as effects and is carried out here, and only here.
public final class Server {
    let config: ServerConfig
    let loop: EventLoop
    var replica: Replica
    let identity: MemberIdentity
    let disk: DiskThread<WALWorker>
    let snapshotter: DiskThread<SnapshotWorker>
    /// bcrypt for Auth RPC passwords, off the loop (`Server+Auth.swift`).
    let passwords: PasswordHashing
    /// --auth-token: what a client's token stands for, and JWT signing (`Server+Auth.swift`).
    let tokens: TokenProvider
    var serialized: [SnapshotWorker.Completion] = []
    /// Snapshot RPCs waiting for their etcd file from the snapshot thread, by request number
    /// (`Server+EtcdSnapshot.swift`).
    var etcdSnapshotCalls: [UInt64: ([UInt8]) -> Void] = [:]
    var nextEtcdSnapshotCall: UInt64 = 1
    let transport: PeerTransport
    var effects = Effects()
    /// `drain` is carrying out effects; a nested `drain` only sets `drainAgain`.
    var isDraining = false
    var drainAgain = false
    /// Inputs gathered during one event-loop iteration, stepped together at its end.
    var inbox: [Input] = []
    var stepping: [Input] = []
    var completions: [WALCompletion] = []
    /// Client calls waiting for the Replica, by request id.
    var pending: [UInt64: PendingCall] = [:]
    var nextRequestID: UInt64 = 1
    /// Where each open Replica watch stream's responses go (a gateway body, a gRPC stream, an Observe).
    var watchStreams: [WatchStreamID: WatchTarget] = [:]
    /// Client connections, for read and idle timeouts (swept every tick).
    var clients: [WeakClient] = []
    /// gRPC connections with output to write once the current Replica step's effects are carried out.
    var flushQueue: [GRPCServerConnection] = []
    var decoder: GatewayDecoder
    var writer = JSONWriter(capacity: 4096)
    /// Where log events go (the daemon writes them as etcd does, `--logger zap` or capnslog).
    let emit: (LogEvent) -> Void
    /// What the log last said about Raft, membership and compaction (`Server+Log.swift`).
    var logged = LoggedState()
    var lastLeader = MemberID.none
    var announcedReady = false
    /// The client listeners are bound (at start, or once the initial corruption check passed).
    var clientsListening = false
    var clientTLS: TLSEndpoint?
    var fatalError: String?
    var metrics = ServerMetrics()
    let startTime: UInt64
    /// Called once, when the member first knows a leader and serves clients (the daemon tells systemd).
    public var onReady: (() -> Void)?

    /// A client call in flight: who asked (a codec connection and its handle for the call) and for what.
    struct PendingCall {
        var caller: any ServiceCaller
        var tag: Int
        var endpoint: GatewayEndpoint
        var startedAt: UInt64
    }

    /// A watch stream's receiver and its handle for it.
    struct WatchTarget {
        unowned var receiver: any WatchReceiver
        var tag: Int
    }

    public init(config: ServerConfig, opened: sending DataDir.Opened, seed: UInt64,
                log: @escaping (LogEvent) -> Void)
        throws(StartError)
    {
        self.config = config
        emit = log
        identity = opened.identity
        var replicaConfig = try config.replicaConfig()
        tokens = try config.tokenProvider()
        if case .jwt(let jwt) = try config.authTokenOptions(), !jwt.unknownNames.isEmpty {
            // etcd warns, and goes on.
            log(LogEvent(.warn, "auth", "unknown token option", ["option": .strings(jwt.unknownNames)],
                         text: "unknown JWT options: [\(jwt.unknownNames.joined(separator: " "))]"))
        }
        replicaConfig.memberName = identity.name
        replicaConfig.memberClientURLs = config.advertiseClientURLs
        replicaConfig.clusterToken = identity.token
        do { loop = try EventLoop() } catch { throw .config("cannot create the event loop: \(error)") }
        replica = Replica(id: identity.id, config: replicaConfig, seed: seed, boot: opened.recovered.boot)
        decoder = GatewayDecoder(txnOpsMax: replicaConfig.store.txnOpsMax,
                                 grpcMessageBytesMax: config.maxRequestBytes + 524_288)
        transport = PeerTransport(loop: loop, selfID: identity.id, token: identity.token,
                                  heartbeatMilliseconds: config.heartbeatMilliseconds)
        let signal = loop.signal
        do {
            disk = try DiskThread(worker: WALWorker(wal: opened.recovered.wal, disk: opened.disk),
                                  wake: { signal.wake() })
            let snapshotDisk = try FileDisk(directory: opened.disk.directory)
            snapshotter = try DiskThread(name: "keel-snapshot", worker: SnapshotWorker(disk: snapshotDisk),
                                         jobsMax: 16, wake: { signal.wake() })
            passwords = try PasswordHashing(cost: config.bcryptCost, wake: { signal.wake() })
        } catch {
            throw .config("cannot start the disk thread: \(error)")
        }
        startTime = Server.monotonicMilliseconds()
        for member in config.initialCluster {
            let id = MemberInfo.memberID(peerURLs: member.peerURLs, token: identity.token)
            if let url = member.peerURLs.first, let address = HostPort(url: url) { transport.addresses[id] = address }
        }
        refreshPeerAddresses()
    }

    /// The loop's wake-up signal (for a signal-handling thread to ask for shutdown).
    public var signal: LoopSignal { loop.signal }

    /// Binds the listeners, starts the timer and serves until asked to stop.
    public func run() throws(StartError) {
        let peerTLS = try serverTLS(for: config.listenPeerURLs, settings: config.peerTLS, auto: config.peerAutoTLS,
                                    kind: "peer")
        let clientTLS = try serverTLS(for: config.listenClientURLs, settings: config.clientTLS,
                                      auto: config.clientAutoTLS, kind: "client")
        // https:// metrics URLs use the client port's TLS settings, as etcd's do.
        let metricsTLS = try serverTLS(for: config.listenMetricsURLs, settings: config.clientTLS,
                                       auto: config.clientAutoTLS, kind: "client")
        transport.dialTLS = try peerDialTLS()
        loop.onTLSFailure = { [unowned self] connection, address, reason in
            self.logRejectedConnection(connection, remoteAddress: address, reason: reason)
        }
        for url in config.listenPeerURLs {
            guard let address = HostPort(url: url) else { throw .config("bad --listen-peer-urls '\(url)'") }
            let id = identity.id
            let tokenHash = transport.tokenHash
            do {
                _ = try loop.listen(host: address.host, port: address.port,
                                    tls: address.secure ? peerTLS : nil) { [unowned self] _ in
                    PeerReceiver(selfID: id, tokenHash: tokenHash,
                                 transport: self.transport) { [unowned self] m, bytes in
                        self.transport.received(m, bytes: bytes)
                        self.enqueue(.received(m))
                    }
                }
            } catch {
                throw .config("cannot listen for peers on \(address): \(error)")
            }
            log(LogEvent(.info, "embed", "serving peer traffic", ["address": .string(address.description)],
                         text: "listening for peers on \(url)"))
        }
        for url in config.listenClientURLs where HostPort(url: url) == nil {
            throw .config("bad --listen-client-urls '\(url)'")
        }
        self.clientTLS = clientTLS
        // With --experimental-initial-corrupt-check clients are served once the check passes, as etcd does.
        if !config.initialCorruptCheck { try listenForClients() }
        for url in config.listenMetricsURLs {
            guard let address = HostPort(url: url) else { throw .config("bad --listen-metrics-urls '\(url)'") }
            do {
                _ = try loop.listen(host: address.host, port: address.port,
                                    tls: address.secure ? metricsTLS : nil) { [unowned self] connection in
                    let client = ClientConnection(server: self, connection: connection)
                    client.metricsOnly = true
                    return client
                }
            } catch {
                throw .config("cannot listen for metrics on \(address): \(error)")
            }
            log(LogEvent(.info, "embed", "serving metrics", ["address": .string(url)],
                         text: "serving /metrics and /health on \(url)"))
        }
        do {
            _ = try loop.addTimer(every: .milliseconds(config.heartbeatMilliseconds)) { [unowned self] count in
                for _ in 0..<min(count, 10) { self.tick() }
            }
        } catch {
            throw .config("cannot start the tick timer: \(error)")
        }
        loop.onWake = { [unowned self] in self.diskCompleted() }
        loop.onShutdown = { [unowned self] in
            // Graceful HTTP/2 shutdown: GOAWAY names the last stream processed, so clients retry the rest.
            for client in self.clients { (client.value as? GRPCServerConnection)?.goAway() }
        }
        loop.onIterationEnd = { [unowned self] in
            self.drain()
            self.flushClients()
            if self.replica.hasPendingWatchWork {  // Watchers behind: their next batch after one more poll.
                self.enqueue(.watch(.sendPending))
                self.loop.pollNext = true
            }
        }
        transport.onTokenRejected = { [unowned self] peer in
            self.fatal("peer \(hex64(peer.value)) rejected us: --initial-cluster-token '\(self.identity.token)' "
                       + "does not match the cluster's")
        }
        step(.tick)
        do { try loop.run() } catch { throw .config("event loop failed: \(error)") }
        transport.closeAll()
        disk.stop()
        snapshotter.stop()
        if let message = fatalError { throw .config(message) }
        log(LogEvent(.info, "embed", "closed etcd server",
                     ["name": .string(config.name), "data-dir": .string(config.dataDir),
                      "advertise-peer-urls": .strings(config.initialAdvertisePeerURLs),
                      "advertise-client-urls": .strings(config.advertiseClientURLs)], text: "stopped"))
    }

    /// Stops serving: closes the listeners and connections after this iteration.
    func fatal(_ message: String) {
        if fatalError == nil { fatalError = message }
        loop.stop()
    }

    // MARK: Stepping the Replica

    func tick() {
        transport.tick += 1
        if config.enableV2 { enqueue(.wallClock(V2Clock.now())) }  // The v2 leader's expiry time (Replica+V2).
        enqueue(.tick)
        let now = Server.monotonicMilliseconds()
        clients.removeAll { $0.value?.isOpen != true }
        for client in clients { client.value?.checkTimeouts(now: now) }
    }

    /// Queues an input for the end of this loop iteration (requests, peer messages, completions, ticks).
    func enqueue(_ input: Input) {
        inbox.append(input)
    }

    /// Steps the Replica now, after whatever was queued (so inputs keep their order).
    func step(_ input: Input) {
        inbox.append(input)
        drain()
    }

    /// Steps the Replica once with every queued input and carries out the effects. A step asked for while
    /// effects are being carried out (a connection backing up as it is handed watch responses) runs after them:
    /// nested, it would drain a stream's later responses ahead of ones this pass has not delivered yet (the
    /// simulator's seed 1485 found that order bug there).
    func drain() {
        if isDraining {
            drainAgain = true
            return
        }
        isDraining = true
        defer { isDraining = false }
        repeat {
            drainAgain = false
            drainOnce()
        } while drainAgain
    }

    private func drainOnce() {
        guard !inbox.isEmpty else { return }
        swap(&inbox, &stepping)  // Two buffers take turns: no copy, no allocation per iteration.
        effects.removeAll()
        replica.step(contentsOf: stepping, into: &effects)
        metrics.steps += 1
        metrics.inputs += UInt64(stepping.count)
        stepping.removeAll(keepingCapacity: true)
        let items = effects.items
        for effect in items {
            switch effect {
            case .send(let m): transport.send(m)
            case .persist(let batch):
                metrics.persistBatches += 1
                if let snapshot = batch.snapshot, batch.snapshotResetsLog { logInstalled(snapshot.meta) }
                disk.submit(.persist(batch))
            case .reply(let reply): answer(reply)
            case .watch(let stream, let responses):
                metrics.countWatchEvents(responses)
                if let target = watchStreams[stream] { target.receiver.deliver(responses, tag: target.tag) }
            case .releaseStorage(let through): disk.submit(.release(through: through))
            case .serializeSnapshot(let job):
                logSnapshotTriggered(at: job.meta.index)
                snapshotter.submit(.save(job))
            case .loadSnapshot(let index):
                log(LogEvent(.info, "etcdserver", "reading snapshot to send to a follower",
                             ["snapshot-index": .number(index.value)],
                             text: "reading snapshot \(index) back to send to a follower"))
                snapshotter.submit(.load(index))
            case .checkPassword(let check):
                checkPassword(check)
            }
        }
        noticeChanges()
        flushClients()
    }

    /// Writes what answers and watch events queued on gRPC connections during this step: one write each.
    func flushClients() {
        while !flushQueue.isEmpty {
            let queued = flushQueue
            flushQueue.removeAll(keepingCapacity: true)
            for connection in queued { connection.flush() }
        }
    }

    /// The disk thread finished groups: report each batch durable, in order.
    func diskCompleted() {
        passwordsHashed()
        snapshotter.takeCompletions(into: &serialized)
        for done in serialized {
            switch done {
            case .saved(let snapshot):
                log(LogEvent(.info, "etcdserver", "saved snapshot",
                             ["snapshot-index": .number(snapshot.meta.index.value)],
                             text: "saved snapshot at index \(snapshot.meta.index)"))
                enqueue(.snapshotSerialized(snapshot))
            case .loaded(let index, let data):
                // Our newest durable snapshot's file must be readable; a stale request's may be gone.
                if data == nil && index == replica.raft.snapshot.meta.index {
                    fatal("disk failure: snapshot \(SnapshotCodec.fileName(index: index)) cannot be read back")
                }
                enqueue(.snapshotLoaded(index: index, data: data))
            case .etcdFile(let request, let file): etcdSnapshotBuilt(request: request, file)
            case .timed(let timing): metrics.observeSnapshot(timing)
            }
        }
        serialized.removeAll(keepingCapacity: true)
        disk.takeCompletions(into: &completions)
        let done = completions
        completions.removeAll(keepingCapacity: true)
        if !done.isEmpty { metrics.diskGroups += 1 }
        for completion in done {
            switch completion {
            case .persisted(let seq): enqueue(.persisted(seq: seq))
            case .released(let through):
                log(LogEvent(.info, "etcdserver", "compacted Raft logs", ["compact-index": .number(through.value)],
                             text: "released WAL and snapshots before index \(through)"))
            case .failed(let error): fatal("disk failure: \(error)")
            case .groupDuration(let micros): metrics.observeFsync(micros)
            }
        }
    }

    func noticeChanges() {
        logStateChanges()
        let leader = replica.raft.leader
        if leader != lastLeader {
            logLeaderChange(from: lastLeader, to: leader)
            if !leader.isNone {
                metrics.leaderChanges += 1  // etcd counts a new leader, not losing one.
                metrics.leaderSince = V2Clock.now()
            }
            lastLeader = leader
        }
        if config.initialCorruptCheck && !clientsListening { noticeInitialCorruptCheck() }
        if !lastLeader.isNone && !announcedReady && clientsListening {
            announcedReady = true
            logServing()
            onReady?()
        }
        if replica.memberContexts.count != metrics.knownMembers {
            metrics.knownMembers = replica.memberContexts.count
            refreshPeerAddresses()
        }
        if replica.raft.isRemoved { fatal("the member has been permanently removed from the cluster") }
    }

    func refreshPeerAddresses() {
        for member in replica.memberContexts {
            let info = MemberInfo.decode(member.context)
            if let url = info.peerURLs.first, let address = HostPort(url: url) {
                transport.addresses[member.id] = address
            }
        }
    }

    // MARK: Client calls

    /// Submits an operation on behalf of a caller; the answer goes back to it with `tag`.
    func submit(_ operation: Operation, caller: any ServiceCaller, tag: Int, endpoint: GatewayEndpoint,
                auth: CallAuth?) {
        let id = nextRequestID
        nextRequestID += 1
        pending[id] = PendingCall(caller: caller, tag: tag, endpoint: endpoint,
                                  startedAt: Server.monotonicMilliseconds())
        metrics.proposalsPending += 1
        enqueue(.request(ClientRequest(id: id, operation: operation, credentials: credentials(auth))))
    }

    /// etcd's refusal of an admin-only stream (Snapshot) for this token, nil when it may go on.
    func adminRefusal(auth: CallAuth?) -> RPCError? {
        do throws(AuthError) { try replica.checkAdmin(credentials(auth)) } catch { return RPCError(.auth(error)) }
        return nil
    }

    func answer(_ reply: ClientReply) {
        guard let call = pending.removeValue(forKey: reply.id) else { return }
        metrics.proposalsPending -= 1
        metrics.observeLatency(Server.monotonicMilliseconds() - call.startedAt)
        metrics.countAnswer(reply.result, endpoint: call.endpoint)
        guard call.caller.isListening else { return }
        if answerV2(reply, call) { return }  // A /v2/keys request (ClientConnection+V2.swift).
        call.caller.answer(response(to: reply, for: call), endpoint: call.endpoint, tag: call.tag)
    }

    /// Opens a Replica watch stream whose responses go to `receiver`.
    func openWatchStream(for receiver: any WatchReceiver, tag: Int, auth: CallAuth?) -> WatchStreamID {
        let stream = replica.openWatchStream(credentials: credentials(auth))
        watchStreams[stream] = WatchTarget(receiver: receiver, tag: tag)
        return stream
    }

    /// Closes a Replica watch stream (its receiver is gone or done).
    func closeWatchStream(_ stream: WatchStreamID) {
        guard watchStreams.removeValue(forKey: stream) != nil else { return }
        step(.watch(.close(stream)))
    }

    func header(revision: Revision) -> ResponseHeader {
        ResponseHeader(clusterID: replica.clusterID, memberID: identity.id.value, revision: revision.value,
                       raftTerm: replica.raft.term.value)
    }

    static func monotonicMilliseconds() -> UInt64 { UInt64(EventLoop.monotonicNanoseconds() / 1_000_000) }
}
