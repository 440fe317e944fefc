import Core
import Service

/// The simulated clients' side of the wire: the unary etcd RPC a client sends for the operation it means, as
/// clientv3 builds its request. The member takes it through `ServiceLayer` as the daemon does, and the run fails
/// if the service layer maps it to any other operation. Calls that no unary RPC carries go to the Replica
/// directly, as the daemon's stream and v2 handlers submit them: a lease keep-alive (a LeaseKeepAlive stream
/// message), Auth RPCs (the driver hashes their passwords first; the simulator's hashing is `SimPasswords`),
/// and v2 requests.
enum ClientStub {
    static func rpc(for operation: Operation) -> GatewayRequest? {
        switch operation {
        case .range(let r): .range(r)
        case .put(let r): .put(r)
        case .deleteRange(let r): .deleteRange(r)
        case .txn(let r): .txn(r)
        case .compact(let r): .compaction(r)
        case .leaseGrant(let r): .leaseGrant(r)
        case .leaseRevoke(let id): .leaseRevoke(id)
        case .leaseTimeToLive(let r): .leaseTimeToLive(r)
        case .leaseLeases: .leaseLeases
        case .memberAdd(let urls, let learner): .memberAdd(MemberAddRequest(peerURLs: urls, isLearner: learner))
        case .removeMember(let id): .memberRemove(memberID: id.value)
        case .promoteMember(let id): .memberPromote(memberID: id.value)
        case .updateMember(let id, let urls): .memberUpdate(MemberUpdateRequest(memberID: id.value, peerURLs: urls))
        case .memberList: .memberList
        case .status: .status
        case .hash: .hash
        case .hashKV(let revision): .hashKV(revision: revision)
        case .defragment: .defragment
        case .transferLeadership(let target): .moveLeader(targetID: target.value)
        case .alarm(let activate, let member, let type):
            .alarm(AlarmRequest(action: activate == nil ? .get : activate! ? .activate : .deactivate,
                                memberID: member.value, alarm: AlarmType(rawValue: Int32(type.rawValue))))
        case .lock(let name, let lease): .lock(LockRequest(name: name, lease: lease))
        case .unlock(let key): .unlock(key: key)
        case .campaign(let name, let lease, let value):
            .campaign(CampaignRequest(name: name, lease: lease, value: value))
        case .proclaim(let leader, let value): .proclaim(ProclaimRequest(leader: leader, value: value))
        case .leader(let name): .leader(name: name)
        case .resign(let leader): .resign(leader: leader)
        case .leaseKeepAlive, .auth, .authenticate, .v2, .addMember, .publishAttributes: nil
        }
    }
}
