import Foundation  // NSRegularExpression.

/// Where etcdctl 3.4 prints per-run values (printer_simple.go, printer_json.go, printer_fields.go,
/// lease_command.go, lock_command.go), as one rule per position. Every capture group is one token; the
/// rest of each pattern pins the position, so the same digits anywhere else still compare exactly.
enum MaskRules {
    static let all: [MaskRule] = leases + members + hashes + raft + times

    /// An endpoint as etcdctl prints the one it was given: `127.0.0.1:2379` or `http://127.0.0.1:2379`.
    static let endpoint = #"(?:https?://)?[0-9A-Za-z.\[\]-]+:[0-9]+"#

    /// Lease ids: `lease %016x …` lines (grant, revoke, keep-alive, timetolive; `lease list` rows after
    /// "found N leases" are masked by `Masker` with `leaseList`), the session keys of lock and elect
    /// (`<name>/%x`, names in this suite start with `lock-` or `elect-`), and int64s in JSON and fields.
    static let leases: [MaskRule] = [
        MaskRule(#"\blease ([0-9a-f]{16})\b"#, .token(.lease, .hex)),
        MaskRule(#"(?:lock|elect)-[A-Za-z0-9_-]*/([0-9a-f]{1,16})(?![0-9A-Za-z])"#, .token(.lease, .hex)),
        MaskRule(#""ID":(-?[0-9]+),"TTL""#, .token(.lease, .decimal)),
        MaskRule(#""id":(-?[0-9]+),"ttl""#, .token(.lease, .decimal)),
        MaskRule(#""lease":(-?[0-9]+)"#, .token(.lease, .decimal)),
        MaskRule(#""Lease" : (-?[0-9]+)"#, .token(.lease, .decimal)),
        MaskRule(#"\{"ID":(-?[0-9]+)\}"#, .token(.lease, .decimal)),
    ]

    /// Member and cluster ids. `Member %16x … cluster %16x` pads ids to 16 columns; the padding follows
    /// from the id alone, so the padding is dropped once the id is masked (`paddedID`).
    static let members: [MaskRule] = [
        MaskRule(#"^Member +([0-9a-f]{1,16}) (?:added to|removed from|updated in|promoted in) cluster"#,
                 .token(.member, .hex)),
        MaskRule(#"^Member .* cluster +([0-9a-f]{1,16})$"#, .token(.cluster, .hex)),
        MaskRule(#"^([0-9a-f]{1,16}), (?:started|unstarted), "#, .token(.member, .hex)),
        MaskRule("^" + endpoint + #", ([0-9a-f]{1,16}), [0-9]+\.[0-9]+\.[0-9]+, "#, .token(.member, .hex)),
        MaskRule(#"^Leadership transferred from ([0-9a-f]{1,16}) to ([0-9a-f]{1,16})$"#, .token(.member, .hex)),
        MaskRule(#""(?:member_id|leader)":([0-9]+)"#, .token(.member, .decimal)),
        MaskRule(#""ID":([0-9]+),"(?:name|peerURLs|clientURLs|isLearner)""#, .token(.member, .decimal)),
        MaskRule(#"^"(?:MemberID|Leader)" : ([0-9]+)$"#, .token(.member, .decimal)),
        MaskRule(#""cluster_id":([0-9]+)"#, .token(.cluster, .decimal)),
        MaskRule(#""ClusterID" : ([0-9]+)"#, .token(.cluster, .decimal)),
    ]

    /// `endpoint hashkv` hashes: keel's store is not bbolt, so its hash legitimately differs from etcd's;
    /// numbering keeps "all members agree" visible.
    static let hashes: [MaskRule] = [
        MaskRule("^" + endpoint + #", ([0-9]+)$"#, .token(.hash, .decimal)),
        MaskRule(#""hash":([0-9]+)"#, .token(.hash, .decimal)),
        MaskRule(#"^"Hash" : ([0-9]+)$"#, .token(.hash, .decimal)),
    ]

    /// Raft terms and indexes and backend sizes: implementation details (etcd's log holds entries keel's
    /// does not, and bbolt pages are not keel's files).
    static let raft: [MaskRule] = [
        MaskRule(#""(?:raft_term|raftTerm)":([0-9]+)"#, .constant("<term>")),
        MaskRule(#""RaftTerm" : ([0-9]+)"#, .constant("<term>")),
        MaskRule(#"^"(?:RaftIndex|RaftAppliedIndex)" : ([0-9]+)$"#, .constant("<index>")),
        MaskRule(#"^"(?:DBSize|DBSizeInUse)" : ([0-9]+)$"#, .constant("<size>")),
        MaskRule(#""(?:raftIndex|raftAppliedIndex)":([0-9]+)"#, .constant("<index>")),
        MaskRule(#""(?:dbSize|dbSizeInUse)":([0-9]+)"#, .constant("<size>")),
        MaskRule("^" + endpoint + #", [^,]+, [0-9]+\.[0-9]+\.[0-9]+, ([0-9.]+ [kMGTPE]?B), (?:true|false), "#
                 + #"(?:true|false), "#, .constant("<size>")),
        MaskRule("^" + endpoint
                 + #", [^,]+, [0-9.]+, [^,]+, (?:true|false), (?:true|false), ([0-9]+), ([0-9]+), ([0-9]+), "#,
                 .constant("<raft>")),
    ]

    /// Durations and timestamps, and the size etcdctl logs for a fetched snapshot: keel's snapshot is its
    /// own format, not a bbolt file (`snapshot status` is not compared for the same reason).
    static let times: [MaskRule] = [
        MaskRule(#"took = ([0-9][0-9.hmsµnu]*)"#, .constant("<duration>")),
        MaskRule(#"^"Took" : ([0-9][0-9.hmsµnu]*)$"#, .constant("<duration>")),
        MaskRule(#""took":"([^"]*)""#, .constant("<duration>")),
        MaskRule(#""took":([0-9.e+-]+)"#, .constant("<duration>")),
        MaskRule(#""ts":("[^"]*"|[0-9.e+-]+)"#, .constant("<ts>")),
        MaskRule(#"^([0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]+) "#, .constant("<time>")),
        MaskRule(#""msg":"fetched snapshot".*"size":"([^"]*)""#, .constant("<size>")),
    ]

    /// A pattern compiled as the rules are (`^`/`$` match at lines).
    static func regex(_ pattern: String) -> NSRegularExpression { MaskRule(pattern, .constant("")).regex }

    /// A whole hex or decimal token long enough to be an id.
    static let longToken = regex(#"(?<![0-9A-Za-z])(?:[0-9a-f]{8,16}|-?[0-9]{8,20})(?![0-9A-Za-z])"#)
    /// A loopback port.
    static let loopbackPort = regex(#"(?:127\.0\.0\.1|localhost):([0-9]{2,5})(?![0-9])"#)
    /// humanize.Bytes' shape: `20 kB`, `1.2 MB`.
    static let sizeShape = regex(#"^[0-9.]+ [kMGTPE]?B$"#)
    /// A Go duration: `1.2ms`, `350µs`, `1m2.5s`.
    static let durationShape = regex(#"^[0-9][0-9.hmsµnu]*$"#)
    /// `lease list`: "found N leases", then one `%016x` id per line.
    static let leaseList = regex(#"^found [0-9]+ leases\n((?:[0-9a-f]{16}\n)*)"#)
    /// `Member %16x … cluster %16x`: space padding before an id already masked.
    static let paddedID = regex(#"(?:^Member| cluster) ( +)<"#)
}
