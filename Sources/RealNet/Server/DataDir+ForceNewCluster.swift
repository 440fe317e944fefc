import Core

extension DataDir {
    /// etcd's `--force-new-cluster` on a restart: makes this member the only member of its cluster, keeping
    /// its data (`ForceNewCluster` decides the entries; they are written to the WAL and the data dir recovered
    /// again, so the Replica boots from exactly what is on disk). A data dir being created is left alone, as
    /// etcd ignores the flag without a WAL.
    /// - Returns: the members removed (empty when there was nothing to do).
    public static func forceNewCluster(_ opened: inout Opened, path: String) throws(StartError) -> [MemberID] {
        guard opened.restarted else { return [] }
        let boot = opened.recovered.boot
        let batch: PersistBatch?
        do {
            batch = try ForceNewCluster.batch(boot, member: opened.identity.id)
        } catch {
            throw .config("--force-new-cluster: \(error)")
        }
        guard let batch else { return [] }
        do {
            try opened.recovered.wal.write(batch, to: &opened.disk)
        } catch {
            throw .dataDir("\(path): \(error)")
        }
        opened.recovered = try recover(&opened.disk, path)
        let before = ForceNewCluster.finalConf(boot)
        return (before.voters + before.learners).filter { $0 != opened.identity.id }.sorted()
    }
}
