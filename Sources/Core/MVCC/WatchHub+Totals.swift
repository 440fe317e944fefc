/// Totals over every open stream, for a driver's metrics (etcd's `watcher_total`, `slow_watcher_total` and
/// `pending_events_total`). Read-only sums: nothing here changes state or depends on iteration order.
extension WatchHub {
    /// Watchers on all streams, synced or not.
    public var watcherTotal: Int {
        streamOrder.reduce(0) { $0 + streams[$1]!.watchers.count }
    }

    /// Watchers behind the store (catching up from history, or moved off a backed-up stream): etcd's unsynced
    /// "slow" watchers.
    public var unsyncedWatcherTotal: Int {
        streamOrder.reduce(0) { total, id in total + streams[id]!.watchers.count { !$0.synced } }
    }

    /// Events queued in streams' outboxes and not yet handed to the driver.
    public var pendingEventTotal: Int {
        streamOrder.reduce(0) { $0 + streams[$1]!.outboxEvents }
    }
}
