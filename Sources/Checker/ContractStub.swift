// TEMPORARY: the Checker API contract, until the checker branch (issue #3) merges and replaces this file.
public enum EventType: Sendable { case invoke, ok, fail, info }
public enum Function: Sendable { case read, write, cas, delete, append }
public enum Value: Sendable, Equatable { case null; case string(String); case pair(String, String) }
public struct Event: Sendable {
    public var process: Int
    public var type: EventType
    public var f: Function
    public var key: String
    public var value: Value
    public var time: Int64
    public init(process: Int, type: EventType, f: Function, key: String, value: Value, time: Int64) {
        self.process = process; self.type = type; self.f = f; self.key = key; self.value = value; self.time = time
    }
}
public struct History: Sendable {
    public private(set) var events: [Event] = []
    public init() {}
    public init(events: [Event]) { self.events = events }
    public mutating func append(_ event: Event) { events.append(event) }
    public func jsonLines() -> String { "" }
}
public struct Budget: Sendable {
    public init(timeoutSeconds: Double? = nil, statesMax: Int? = nil) {}
}
public struct Violation: Sendable { public var key: String; public var explanation: String }
public enum Verdict: Sendable { case linearizable; case notLinearizable(Violation); case unknown(reason: String) }
public enum Linearizability {
    public static func check(_ history: History, budget: Budget) -> Verdict { .unknown(reason: "checker not merged") }
}
