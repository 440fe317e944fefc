import Core

/// etcd's v2 cluster endpoints on the client port (with --enable-v2): `/v2/members` (list, leader, add,
/// remove, update), `/v2/machines` and `/v2/stats/{self,leader,store}`. Reads answer from this member's
/// state at once; member changes go to the Replica as the v3 Cluster RPCs do, answered in their slot.
extension ClientConnection {
    func serveV2Cluster(_ request: HTTPRequest, slot: Int) {
        let path = request.path
        if path == V2Members.machinesPath { return serveMachines(request, slot: slot) }
        if V2Members.statsPaths.contains(path) { return serveV2Stats(request, slot: slot) }
        serveMembers(request, slot: slot)
    }

    // MARK: Members

    func serveMembers(_ request: HTTPRequest, slot: Int) {
        let date = HTTPDate.now()
        let method: V2MemberMethod
        switch request.method {
        case .get: method = .get
        case .post: method = .post
        case .delete: method = .delete
        case .put: method = .put
        default:
            var out: [UInt8] = []
            Gateway.writeRouteAnswer(.methodNotAllowed(allow: "GET,POST,DELETE,PUT"), date: date, into: &out)
            return complete(slot: slot, out)
        }
        let suffix = V2Members.suffix(request.path)
        switch method {
        case .get:
            if suffix.isEmpty {
                return complete(slot: slot, membersJSON(status: 200, V2Members.collection(server.replica.memberList())))
            }
            guard suffix == "leader" else { return complete(slot: slot, memberError(404, "Not found")) }
            let leader = server.replica.raft.leader
            guard !leader.isNone, let member = server.replica.memberList().first(where: { $0.id == leader }) else {
                return complete(slot: slot, memberError(503, "During election"))
            }
            var w = JSONWriter(capacity: 256)
            V2Members.member(member, into: &w)
            complete(slot: slot, membersJSON(status: 200, w.bytes))
        case .post:
            do throws(V2Members.Refusal) {
                let urls = try V2Members.peerURLs(contentType: request.header("Content-Type"), body: request.body)
                submitMember(.add, .memberAdd(peerURLs: urls, learner: false), endpoint: .memberAdd, slot: slot)
            } catch {
                complete(slot: slot, memberError(error.status, error.message))
            }
        case .delete, .put:
            guard !suffix.isEmpty else {
                var out: [UInt8] = []
                HTTPResponse.plain(status: 405, contentType: "text/plain; charset=utf-8",
                                   body: Array("Method Not Allowed\n".utf8),
                                   extraHeaders: [("X-Content-Type-Options", "nosniff"),
                                                  ("X-Etcd-Cluster-Id", server.clusterIDText)],
                                   date: date, into: &out)
                return complete(slot: slot, out)
            }
            guard let id = V2Members.memberID(suffix) else {
                return complete(slot: slot, memberError(404, "No such member: \(suffix)"))
            }
            if method == .delete {
                return submitMember(.remove(id), .removeMember(id), endpoint: .memberRemove, slot: slot)
            }
            do throws(V2Members.Refusal) {
                let urls = try V2Members.peerURLs(contentType: request.header("Content-Type"), body: request.body)
                submitMember(.update(id), .updateMember(id, peerURLs: urls), endpoint: .memberUpdate, slot: slot)
            } catch {
                complete(slot: slot, memberError(error.status, error.message))
            }
        }
    }

    func submitMember(_ call: V2MemberCall, _ operation: Operation, endpoint: GatewayEndpoint, slot: Int) {
        v2Calls[slot] = V2Call(requestID: server.nextRequestID, noValueOnSuccess: false, head: false, isWait: false,
                               member: call)
        server.submit(operation, caller: self, tag: slot, endpoint: endpoint, auth: nil)
    }

    /// The Replica's answer to a member change: 201 with the new member, 204, or etcd's error for it.
    func answerV2Member(_ reply: ClientReply, _ call: V2MemberCall, slot: Int) {
        switch reply.result {
        case .members(let r):
            switch call {
            case .add:
                var added = r.added ?? ClusterMember(id: .none, peerURLs: [])
                added.name = ""
                added.clientURLs = []
                var w = JSONWriter(capacity: 256)
                V2Members.member(added, into: &w)
                complete(slot: slot, membersJSON(status: 201, w.bytes))
            case .remove, .update:
                complete(slot: slot, noContent())
            }
        case .failed(let error):
            complete(slot: slot, memberFailure(error, call))
        default:
            complete(slot: slot, memberError(500, "Internal Server Error"))
        }
    }

    /// etcd's `membersHandler` errors: 409 for a taken peer URL or id, 404 for an unknown member, 410 for a
    /// removed one; anything else is etcd's `WriteError` default, 500 "Internal Server Error".
    func memberFailure(_ error: RequestError, _ call: V2MemberCall) -> [UInt8] {
        let id: MemberID? = switch call {
        case .add: nil
        case .remove(let id), .update(let id): id
        }
        switch error {
        case .api(.peerURLExists): return memberError(409, "membership: peerURL exists")
        case .api(.memberIDExists) where id == nil: return memberError(409, "membership: ID exists")
        case .api(.memberNotFound), .refused(.invalidConfChange):
            if let id { return memberError(404, "No such member: \(V2Stats.idText(id))") }
        default: break
        }
        return memberError(500, "Internal Server Error")
    }

    /// 204 as Go writes it: no Content-Length, no body.
    func noContent() -> [UInt8] {
        var out: [UInt8] = []
        HTTPResponse.statusLine(204, into: &out)
        var headers = HTTPResponse.corsHeaders
        headers.append(("X-Etcd-Cluster-Id", server.clusterIDText))
        headers.sort { $0.name < $1.name }
        for header in headers { HTTPResponse.field(header.name, header.value, into: &out) }
        HTTPResponse.field("Date", HTTPDate.now(), into: &out)
        HTTPResponse.crlf(into: &out)
        return out
    }

    func membersJSON(status: Int, _ json: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        V2HTTP.write(status: status, V2HTTP.headers(clusterID: server.clusterIDText, []), json, head: false,
                     close: false, date: HTTPDate.now(), into: &out)
        return out
    }

    func memberError(_ status: Int, _ message: String) -> [UInt8] {
        var out: [UInt8] = []
        HTTPResponse.plain(status: status, contentType: "application/json", body: V2Members.errorBody(message),
                           extraHeaders: [("X-Etcd-Cluster-Id", server.clusterIDText)], date: HTTPDate.now(),
                           into: &out)
        return out
    }

    // MARK: Machines and stats

    func serveMachines(_ request: HTTPRequest, slot: Int) {
        var out: [UInt8] = []
        guard request.method == .get || request.method == .head else {
            Gateway.writeRouteAnswer(.methodNotAllowed(allow: "GET,HEAD"), date: HTTPDate.now(), into: &out)
            return complete(slot: slot, out)
        }
        let body = Array(V2Members.machines(server.replica.memberList()).utf8)
        HTTPResponse.head(status: 200, headers: [("Content-Type", "text/plain; charset=utf-8")],
                          framing: .contentLength(body.count), date: HTTPDate.now(), into: &out)
        if request.method == .get { out.append(contentsOf: body) }
        complete(slot: slot, out)
    }

    func serveV2Stats(_ request: HTTPRequest, slot: Int) {
        var out: [UInt8] = []
        let date = HTTPDate.now()
        guard request.method == .get else {
            Gateway.writeRouteAnswer(.methodNotAllowed(allow: "GET"), date: date, into: &out)
            return complete(slot: slot, out)
        }
        let body: [UInt8]
        switch request.path {
        case "/v2/stats/self": body = server.v2SelfStats()
        case "/v2/stats/store": body = server.metrics.v2Store.json(watchers: server.replica.v2WaitCount)
        default:
            guard let leader = server.v2LeaderStats() else {
                HTTPResponse.plain(status: 403, contentType: "application/json",
                                   body: V2Members.errorBody("not current leader"), date: date, into: &out)
                return complete(slot: slot, out)
            }
            body = leader
        }
        HTTPResponse.plain(status: 200, contentType: "application/json", body: body, date: date, into: &out)
        complete(slot: slot, out)
    }
}

/// The methods `/v2/members` answers.
enum V2MemberMethod {
    case get, post, delete, put
}

extension Server {
    /// `/v2/stats/self` for this member now.
    func v2SelfStats() -> [UInt8] {
        let now = V2Clock.now()
        let upMilliseconds = Int64(Server.monotonicMilliseconds() - startTime)
        let started = V2Time(nanoseconds: now.nanoseconds - upMilliseconds * 1_000_000)
        let leader = replica.raft.leader
        return V2Stats.selfJSON(name: identity.name, id: identity.id, isLeader: leader == identity.id,
                                startTime: started, leader: leader,
                                leaderSince: leader.isNone ? now : metrics.leaderSince, now: now,
                                appendsReceived: transport.appendsReceived, appendsSent: transport.appendsSent)
    }

    /// `/v2/stats/leader`, nil unless this member leads: every other member's round-trip latency and send
    /// failures.
    func v2LeaderStats() -> [UInt8]? {
        guard replica.raft.leader == identity.id else { return nil }
        let followers = replica.memberList().filter { $0.id != identity.id }.map {
            (id: $0.id, latency: transport.followerLatency[$0.id] ?? V2FollowerLatency(),
             fail: transport.sentFailures[$0.id] ?? 0)
        }
        return V2Stats.leaderJSON(leader: identity.id, followers: followers)
    }
}
