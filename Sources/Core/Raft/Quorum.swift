/// Majority arithmetic over the voters (thesis §3.6).
public enum Quorum {
    /// The highest index matched by a majority of `matches` (one entry per voter).
    public static func committedIndex(_ matches: [LogIndex]) -> LogIndex {
        invariant(!matches.isEmpty, "no voters")
        let sorted = matches.sorted(by: >)
        return sorted[matches.count / 2]
    }

    /// Whether `count` of `voters` is a majority.
    public static func isMajority(_ count: Int, of voters: Int) -> Bool {
        count >= voters / 2 + 1
    }
}
