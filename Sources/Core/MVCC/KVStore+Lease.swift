extension KVStore {
    /// etcd's LeaseGrant, applied: creates a lease (see `Lessor.grant`). Does not change the revision.
    /// - Throws: `leaseTTLTooLarge`, `leaseExists`.
    public mutating func leaseGrant(_ request: LeaseGrantRequest) throws(APIError) -> LeaseGrantResponse {
        let lease = try lessor.grant(id: request.id, ttlSeconds: request.ttlSeconds)
        return LeaseGrantResponse(revision: currentRevision, id: lease.id, ttlSeconds: lease.ttlSeconds)
    }

    /// etcd's LeaseRevoke, applied (for a client's revoke or the leader's expiry): deletes every key attached to
    /// the lease in ONE revision, as one txn would, then removes the lease. No keys, no new revision (#163).
    /// - Throws: `leaseNotFound`.
    public mutating func leaseRevoke(_ id: LeaseID) throws(APIError) -> WriteResult<LeaseRevokeResponse> {
        guard let lease = lessor.lease(id) else { throw .leaseNotFound }
        var batch = WriteBatch(revision: currentRevision.next)
        for key in lease.keys {
            let deleted = applyDelete(DeleteRangeRequest(key: key), into: &batch)
            invariant(deleted.deleted == 1, "a key attached to lease \(id) was not live")
        }
        invariant(lessor.lease(id)?.keys.isEmpty == true, "revoke left keys on lease \(id)")
        _ = lessor.remove(id)
        commit(batch)
        return WriteResult(response: LeaseRevokeResponse(revision: currentRevision), events: batch.events)
    }

    /// etcd's LeaseTimeToLive: remaining and granted TTL, and the keys when asked. An unknown lease is TTL -1,
    /// not an error (transcript #154). `timers` are the leader's (ask the leader, as etcd forwards there).
    public func leaseTimeToLive(
        _ request: LeaseTimeToLiveRequest, timers: LeaseTimers, atTick: Int64
    ) -> LeaseTimeToLiveResponse {
        guard let lease = lessor.lease(request.id) else {
            return LeaseTimeToLiveResponse(revision: currentRevision, id: request.id, ttlSeconds: -1)
        }
        return LeaseTimeToLiveResponse(
            revision: currentRevision, id: lease.id, ttlSeconds: timers.remainingSeconds(lease, atTick: atTick),
            grantedTTLSeconds: lease.ttlSeconds, keys: request.keys ? lease.keys : [])
    }

    /// etcd's LeaseLeases: every lease ID, sorted.
    public func leaseLeases() -> LeaseLeasesResponse {
        LeaseLeasesResponse(revision: currentRevision, leases: lessor.ids)
    }
}
