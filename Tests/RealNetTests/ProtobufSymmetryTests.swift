import Core
import Testing

@testable import RealNet

/// What a gRPC client sends: the production encoder (`ProtobufRequestEncoder`, keelctl's), checked here against
/// Go's bytes and against the server's decoder.
typealias RequestEncoder = ProtobufRequestEncoder

/// Random requests from a seed, covering every field and both signs of every integer.
struct RequestGenerator {
    var prng: Prng

    mutating func bytes(max: Int = 6) -> [UInt8] {
        (0..<prng.int(below: max + 1)).map { _ in UInt8(truncatingIfNeeded: prng.next()) }
    }

    mutating func big() -> [UInt8] {
        prng.int(below: 8) == 0 ? [UInt8](repeating: 0x61, count: prng.int(in: 100...400)) : bytes()
    }

    mutating func int() -> Int64 {
        switch prng.int(below: 4) {
        case 0: 0
        case 1: Int64(prng.int(below: 300))
        case 2: -Int64(prng.int(below: 300)) - 1
        default: Int64(bitPattern: prng.next())
        }
    }

    mutating func flag() -> Bool { prng.int(below: 2) == 0 }

    mutating func url() -> String { "http://h\(prng.int(below: 100)):\(prng.int(below: 65536))" }

    mutating func range() -> RangeRequest {
        RangeRequest(key: bytes(), rangeEnd: bytes(), limit: int(), revision: Revision(int()),
                     sortOrder: RangeRequest.SortOrder(rawValue: prng.int(below: 3)) ?? .none,
                     sortTarget: RangeRequest.SortTarget(rawValue: prng.int(below: 5)) ?? .key,
                     serializable: flag(), keysOnly: flag(), countOnly: flag(), minModRevision: Revision(int()),
                     maxModRevision: Revision(int()), minCreateRevision: Revision(int()),
                     maxCreateRevision: Revision(int()))
    }

    mutating func put() -> PutRequest {
        PutRequest(key: bytes(), value: big(), lease: LeaseID(int()), prevKV: flag(), ignoreValue: flag(),
                   ignoreLease: flag())
    }

    mutating func compare() -> Compare {
        let operand: Compare.Operand? = switch prng.int(below: 6) {
        case 0: .version(int())
        case 1: .createRevision(Revision(int()))
        case 2: .modRevision(Revision(int()))
        case 3: .value(bytes())
        case 4: .lease(LeaseID(int()))
        default: nil
        }
        let target = Compare.Target(rawValue: prng.int(below: 5)) ?? .value
        let result = Compare.Result(rawValue: prng.int(below: 4)) ?? .equal
        return Compare(key: bytes(), rangeEnd: bytes(), target: target, result: result, operand: operand)
    }

    mutating func txn(depth: Int) -> TxnRequest {
        var txn = TxnRequest()
        for _ in 0..<prng.int(below: 3) { txn.compare.append(compare()) }
        for _ in 0..<prng.int(below: 4) { txn.success.append(op(depth: depth)) }
        for _ in 0..<prng.int(below: 3) { txn.failure.append(op(depth: depth)) }
        return txn
    }

    mutating func op(depth: Int) -> RequestOp {
        switch prng.int(below: depth > 0 ? 5 : 4) {
        case 0: .range(range())
        case 1: .put(put())
        case 2: .deleteRange(DeleteRangeRequest(key: bytes(), rangeEnd: bytes(), prevKV: flag()))
        case 3: .unset
        default: .txn(txn(depth: depth - 1))
        }
    }

    mutating func leaderKey() -> LeaderKey {
        LeaderKey(name: bytes(), key: bytes(), revision: Revision(int()), lease: LeaseID(int()))
    }

    mutating func request() -> (GatewayEndpoint, GatewayRequest) {
        switch prng.int(below: 24) {
        case 0: (.range, .range(range()))
        case 1: (.put, .put(put()))
        case 2: (.deleteRange, .deleteRange(DeleteRangeRequest(key: bytes(), rangeEnd: bytes(), prevKV: flag())))
        case 3, 4: (.txn, .txn(txn(depth: 3)))
        case 5: (.compaction, .compaction(CompactionRequest(revision: Revision(int()), physical: flag())))
        case 6: (.leaseGrant, .leaseGrant(LeaseGrantRequest(ttlSeconds: int(), id: LeaseID(int()))))
        case 7: (.leaseRevoke, .leaseRevoke(LeaseID(int())))
        case 8: (.leaseTimeToLive, .leaseTimeToLive(LeaseTimeToLiveRequest(id: LeaseID(int()), keys: flag())))
        case 9: (.memberAdd, .memberAdd(MemberAddRequest(peerURLs: (0..<prng.int(below: 3)).map { _ in url() },
                                                         isLearner: flag())))
        case 10: (.memberRemove, .memberRemove(memberID: prng.next()))
        case 11: (.memberUpdate, .memberUpdate(MemberUpdateRequest(memberID: prng.next(), peerURLs: [url()])))
        case 12: (.memberPromote, .memberPromote(memberID: prng.next()))
        case 13:
            (.alarm, .alarm(AlarmRequest(action: AlarmAction(rawValue: Int32(truncatingIfNeeded: int())),
                                         memberID: prng.next(),
                                         alarm: AlarmType(rawValue: Int32(truncatingIfNeeded: int())))))
        case 14: (.hashKV, .hashKV(revision: Revision(int())))
        case 15: (.moveLeader, .moveLeader(targetID: prng.next()))
        case 16: (.campaign, .campaign(CampaignRequest(name: bytes(), lease: LeaseID(int()), value: big())))
        case 17: (.proclaim, .proclaim(ProclaimRequest(leader: leaderKey(), value: bytes())))
        case 18: (.resign, .resign(leader: leaderKey()))
        case 19: flag() ? (.leader, .leader(name: bytes())) : (.observe, .observe(name: bytes()))
        case 20: (.lock, .lock(LockRequest(name: bytes(), lease: LeaseID(int()))))
        case 21, 22: auth()
        default: (.unlock, .unlock(key: bytes()))
        }
    }

    /// One of the 16 Auth requests, each field set or not.
    mutating func auth() -> (GatewayEndpoint, GatewayRequest) {
        let request: AuthRequest = switch prng.int(below: 16) {
        case 0: .authEnable
        case 1: .authDisable
        case 2: .authenticate(name: bytes(), password: big())
        case 3: .userAdd(name: bytes(), password: bytes(), noPassword: flag())
        case 4: .userGet(name: bytes())
        case 5: .userList
        case 6: .userDelete(name: bytes())
        case 7: .userChangePassword(name: bytes(), password: big())
        case 8: .userGrantRole(user: bytes(), role: bytes())
        case 9: .userRevokeRole(name: bytes(), role: bytes())
        case 10: .roleAdd(name: bytes())
        case 11: .roleGet(role: bytes())
        case 12: .roleList
        case 13: .roleDelete(role: bytes())
        case 14:
            .roleGrantPermission(name: bytes(), permission: flag() ? nil : Permission(
                type: PermissionType(rawValue: Int32(truncatingIfNeeded: int())), key: bytes(), rangeEnd: bytes()))
        default: .roleRevokePermission(role: bytes(), key: bytes(), rangeEnd: bytes())
        }
        return (.auth(GatewayEndpoint.AuthMethod(request)), .auth(request))
    }

    mutating func watchRequest() -> WatchStreamRequest {
        switch prng.int(below: 5) {
        case 0: .cancel(WatchID(int()))
        case 1: .progress
        case 2: .empty
        default:
            .create(WatchCreateRequest(key: bytes(), rangeEnd: bytes(), startRevision: Revision(int()),
                                       progressNotify: flag(),
                                       filters: [[], [.noPut], [.noDelete], [.noDelete, .noPut]][prng.int(below: 4)],
                                       prevKV: flag(), watchID: WatchID(int()), fragment: flag()))
        }
    }
}

/// Encode → decode round trips over seeded random requests, and the test encoder checked against Go's bytes.
@Suite struct ProtobufSymmetryTests {
    @Test("the test encoder writes what Go's marshal writes")
    func testEncoderMatchesGo() {
        let b = PB.b
        #expect(RequestEncoder.encode(.put(PutRequest(key: b("foo"), value: b("bar"))))
            == PB.hex("0a03666f6f1203626172"))
        #expect(RequestEncoder.encode(.deleteRange(DeleteRangeRequest(key: b("a"), rangeEnd: [0], prevKV: true)))
            == PB.hex("0a01611201001801"))
        let alarm = AlarmRequest(action: AlarmAction(rawValue: -1), alarm: AlarmType(rawValue: 9))
        #expect(RequestEncoder.encode(.alarm(alarm)) == PB.hex("08ffffffffffffffffff011809"))
        #expect(RequestEncoder.encode(.create(WatchCreateRequest(key: b("a"), rangeEnd: b("b"), startRevision: 3,
                                                                 progressNotify: true, filters: [.noDelete, .noPut],
                                                                 prevKV: true, watchID: 4, fragment: true)))
            == PB.hex("0a140a0161120162180320012a020100300138044001"))
        #expect(RequestEncoder.encode(WatchStreamRequest.progress) == PB.hex("1a00"))
    }

    @Test("random requests survive encode then decode; sizes agree with GatewayRequest.protobufSize",
          arguments: [1, 2, 3, 4] as [UInt64])
    func roundTrip(seed: UInt64) throws {
        var generator = RequestGenerator(prng: Prng(seed: seed))
        for _ in 0..<500 {
            let (endpoint, request) = generator.request()
            let bytes = RequestEncoder.encode(request)
            #expect(bytes.count == request.protobufSize, "\(request)")
            #expect(try ProtobufRequestDecoder.decode(endpoint, ArraySlice(bytes)) == request)
            let watch = generator.watchRequest()
            let watchBytes = RequestEncoder.encode(watch)
            #expect(watchBytes.count == watch.protobufSize, "\(watch)")
            #expect(try ProtobufRequestDecoder.decodeWatchRequest(ArraySlice(watchBytes)) == watch)
        }
    }
}
