import Core

/// A `/v2/members` change the Replica has yet to answer (its answer's shape depends on which).
enum V2MemberCall: Equatable {
    case add
    case remove(MemberID)
    case update(MemberID)
}

/// etcd's v2 cluster endpoints (`v2http` `membersHandler`, `machinesHandler`, `statsHandler`), served with
/// --enable-v2 only, as etcd 3.4 does (without it, its client handler serves none of `/v2/`). Parsing and
/// encoding live here; `ClientConnection+V2Cluster.swift` serves them.
enum V2Members {
    static let membersPath = "/v2/members"
    static let machinesPath = "/v2/machines"
    static let statsPaths = ["/v2/stats/self", "/v2/stats/leader", "/v2/stats/store"]

    /// Whether `path` is one of these endpoints (Go's `ServeMux` patterns: `/v2/members` and everything under
    /// it, `/v2/machines` and the three stats paths exactly).
    static func isClusterPath(_ path: String) -> Bool {
        path == membersPath || path.hasPrefix(membersPath + "/") || path == machinesPath || statsPaths.contains(path)
    }

    /// What follows `/v2/members/` (`""` for `/v2/members` itself), as etcd's `trimPrefix` leaves it.
    static func suffix(_ path: String) -> String {
        guard path.hasPrefix(membersPath) else { return "" }
        var rest = path.dropFirst(membersPath.count)
        if rest.hasPrefix("/") { rest = rest.dropFirst() }
        return String(rest)
    }

    /// A member id in a path, as etcd's `types.IDFromString` reads it (hex).
    static func memberID(_ text: String) -> MemberID? {
        guard !text.isEmpty, let value = UInt64(text, radix: 16) else { return nil }
        return MemberID(value)
    }

    /// Why a body cannot be a member create or update request: status and message, as etcd's
    /// `unmarshalRequest` answers.
    struct Refusal: Error, Equatable {
        var status: Int
        var message: String
    }

    /// The peer URLs of a POST or PUT body (`httptypes.MemberCreateRequest`): JSON only (415 otherwise), each URL
    /// checked as `types.NewURLs` checks it, and sorted as it sorts them.
    static func peerURLs(contentType: String?, body: [UInt8]) throws(Refusal) -> [String] {
        var type = contentType ?? ""
        if let semicolon = type.firstIndex(of: ";") {
            type = String(type[..<semicolon]).lowercased().trimmingSpaces()
        }
        guard type == "application/json" else {
            throw Refusal(status: 415, message: "Bad Content-Type \(type), accept application/json")
        }
        var document = JSONDocument()
        do throws(JSONError) {
            _ = try document.parse(body)
        } catch {
            let message = error == .empty ? "unexpected end of JSON input" : error.description
            throw Refusal(status: 400, message: message)
        }
        let root = document.root
        var urls: [String] = []
        switch document.kind(root) {
        case .null: break
        case .object:
            guard let list = document.member(root, "peerURLs") else { break }
            switch document.kind(list) {
            case .null: break
            case .array:
                for element in document.elements(list) {
                    guard document.kind(element) == .string, let text = try? document.string(element) else {
                        throw Refusal(status: 400, message: "json: cannot unmarshal \(document.kind(element).goName) "
                                      + "into Go struct field .peerURLs of type string")
                    }
                    urls.append(text)
                }
            default:
                throw Refusal(status: 400, message: "json: cannot unmarshal \(document.kind(list).goName) "
                              + "into Go struct field .peerURLs of type []string")
            }
        default:
            throw Refusal(status: 400, message: "json: cannot unmarshal \(document.kind(root).goName) into Go value "
                          + "of type struct { PeerURLs []string \"json:\\\"peerURLs\\\"\" }")
        }
        guard !urls.isEmpty else { throw Refusal(status: 400, message: "no valid URLs given") }
        for url in urls {
            if let problem = urlProblem(url.trimmingSpaces()) { throw Refusal(status: 400, message: problem) }
        }
        return urls.map { $0.trimmingSpaces() }.sorted()
    }

    /// What `types.NewURLs` says of one URL, nil when it is fine: an http, https, unix or unixs scheme, a
    /// `host:port` address and no path.
    static func urlProblem(_ url: String) -> String? {
        let scheme: Substring, rest: Substring
        if let range = url.firstRange(of: "://") {
            scheme = url[..<range.lowerBound]
            rest = url[range.upperBound...]
        } else {
            scheme = ""
            rest = Substring(url)
        }
        guard ["http", "https", "unix", "unixs"].contains(scheme.lowercased()) else {
            return "URL scheme must be http, https, unix, or unixs: \(url)"
        }
        let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let path = rest.dropFirst(host.count).prefix { $0 != "?" && $0 != "#" }
        let bracketed = host.first == "["
        guard let colon = host.lastIndex(of: ":"),
              bracketed ? host[..<colon].hasSuffix("]") : host.firstIndex(of: ":") == colon else {
            return "URL address does not have the form \"host:port\": \(url)"
        }
        guard path.isEmpty else { return "URL must not contain a path: \(url)" }
        return nil
    }

    /// `httptypes.Member`: `{"id":…,"name":…,"peerURLs":[…],"clientURLs":[…]}` (id in hex, lists never null).
    static func member(_ m: ClusterMember, into w: inout JSONWriter) {
        w.beginObject()
        w.key("id"); w.string(V2Stats.idText(m.id))
        w.key("name"); w.string(m.name)
        w.key("peerURLs"); strings(m.peerURLs, into: &w)
        w.key("clientURLs"); strings(m.clientURLs, into: &w)
        w.endObject()
    }

    /// `{"members":[…]}`, in the order given (the Replica's, by id, as etcd sorts `Members()`).
    static func collection(_ members: [ClusterMember]) -> [UInt8] {
        var w = JSONWriter(capacity: 256 * max(1, members.count))
        w.beginObject()
        w.key("members")
        w.beginArray()
        for m in members { member(m, into: &w) }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    /// `/v2/machines`: every member's client URLs, sorted, joined by ", " (etcd's `cluster.ClientURLs()`).
    static func machines(_ members: [ClusterMember]) -> String {
        members.flatMap(\.clientURLs).sorted().joined(separator: ", ")
    }

    /// `httptypes.HTTPError`'s body, `{"message":…}` (no newline: etcd writes `json.Marshal`'s bytes).
    static func errorBody(_ message: String) -> [UInt8] {
        var w = JSONWriter(capacity: 64 + message.utf8.count)
        w.beginObject()
        w.key("message"); w.string(message)
        w.endObject()
        return w.bytes
    }

    private static func strings(_ list: [String], into w: inout JSONWriter) {
        w.beginArray()
        for item in list { w.string(item) }
        w.endArray()
    }
}

private extension String {
    /// Without leading and trailing spaces, tabs and line breaks (Go's `strings.TrimSpace`, ASCII only).
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
