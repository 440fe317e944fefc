/// Jepsen-style linearizability checker (issue #3).
public enum CheckerPlaceholder {}
