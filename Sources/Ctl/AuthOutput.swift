/// How etcdctl prints the answers of `user`, `role` (printer_simple.go, printer_fields.go, printer_json.go):
/// `simple` text, `json` (Go's encoding of the response, enums as numbers), `fields` for the answers its fields
/// printer knows (header-only answers, role get, role list). Any other format fails with exit 4 once the call
/// has been made, as etcdctl's does; only `protobuf`, which keelctl cannot print, is refused before the call
/// (`AuthOutput.check`).
enum AuthOutput {
    /// etcd's `authpb.Permission.Type` names, by number.
    static let permissionTypes = ["READ", "WRITE", "READWRITE"]

    /// Refuses `-w protobuf` before anything is sent.
    static func check(_ invocation: Invocation) throws(CtlError) {
        if invocation.format == .protobuf { throw invocation.unsupportedFormat() }
    }

    /// A header-only answer (user add, role add, user grant-role, …): `line` in simple format.
    static func headerOnly(_ invocation: Invocation, _ response: JSON, line: [UInt8]) throws(CtlError) {
        switch invocation.format {
        case .simple: Out.line(bytes: line)
        case .json: printJSON(response)
        case .fields: printHeaderFields(response)
        default: throw invocation.unsupportedFormat()
        }
    }

    /// `user get` without `--detail`: `User: name` and `Roles: a b` (no fields printer).
    static func userGet(_ invocation: Invocation, name: String, _ response: JSON) throws(CtlError) {
        let roles = (response["roles"]?.arrayValue ?? []).map(\.stringValue)
        switch invocation.format {
        case .simple:
            Out.line("User: \(name)")
            Out.line("Roles:" + roles.map { " " + $0 }.joined())
        case .json: printJSON(response)
        default: throw invocation.unsupportedFormat()
        }
    }

    /// `user list`: one name a line (no fields printer).
    static func userList(_ invocation: Invocation, _ response: JSON) throws(CtlError) {
        switch invocation.format {
        case .simple: for user in response["users"]?.arrayValue ?? [] { Out.line(user.stringValue) }
        case .json: printJSON(response)
        default: throw invocation.unsupportedFormat()
        }
    }

    /// `role list`: one name a line; fields: the header and `"Roles" : "a" "b"`.
    static func roleList(_ invocation: Invocation, _ response: JSON) throws(CtlError) {
        let roles = (response["roles"]?.arrayValue ?? []).map(\.stringValue)
        switch invocation.format {
        case .simple: for role in roles { Out.line(role) }
        case .json: printJSON(response)
        case .fields:
            printHeaderFields(response)
            Out.line("\"Roles\" :" + roles.map { " " + goQuote(Array($0.utf8)) }.joined())
        default: throw invocation.unsupportedFormat()
        }
    }

    /// `role get` (and each role of `user get --detail`).
    static func roleGet(_ invocation: Invocation, name: String, _ response: JSON) throws(CtlError) {
        let permissions = (response["perm"]?.arrayValue ?? []).map(RolePermission.init)
        switch invocation.format {
        case .simple: for line in roleLines(name: name, permissions) { Out.line(bytes: line) }
        case .json: printJSON(numberedPermissionTypes(response))
        case .fields:
            printHeaderFields(response)
            for permission in permissions {
                Out.line("\"PermType\" :  " + permission.typeName)
                Out.line("\"Key\" : " + goQuote(permission.key))
                Out.line("\"RangeEnd\" : " + goQuote(permission.rangeEnd))
            }
        default: throw invocation.unsupportedFormat()
        }
    }

    /// The simple lines of `role get`: `Role name`, `KV Read:` and `KV Write:` each followed by its keys and
    /// ranges, tab-indented (`key`, `[key, end)`, `[key, <open ended>`, ` (prefix key)` when the range is one).
    static func roleLines(name: String, _ permissions: [RolePermission]) -> [[UInt8]] {
        var lines: [[UInt8]] = [Array("Role \(name)".utf8), Array("KV Read:".utf8)]
        for permission in permissions where permission.type == 0 || permission.type == 2 {
            lines.append(permission.shown)
        }
        lines.append(Array("KV Write:".utf8))
        for permission in permissions where permission.type == 1 || permission.type == 2 {
            lines.append(permission.shown)
        }
        return lines
    }

    /// The gateway writes `permType` by name; Go's JSON of the proto struct writes the number.
    static func numberedPermissionTypes(_ response: JSON) -> JSON {
        guard case .object(let members) = response else { return response }
        return .object(members.map { name, value in
            guard name == "perm" else { return (name, value) }
            return (name, .array(value.arrayValue.map { permission in
                guard case .object(let fields) = permission else { return permission }
                return .object(fields.map { field, value in
                    field == "permType" ? (field, .number(String(RolePermission.type(of: value)))) : (field, value)
                })
            }))
        })
    }
}

/// One permission of a `role get` answer.
struct RolePermission: Equatable {
    var type: Int32
    var key: [UInt8]
    var rangeEnd: [UInt8]

    init(type: Int32, key: [UInt8], rangeEnd: [UInt8]) {
        self.type = type
        self.key = key
        self.rangeEnd = rangeEnd
    }

    /// From the gateway's JSON (`permType` by name, absent for READ; `key`, `range_end` base64).
    init(_ json: JSON) {
        self.init(type: json["permType"].map(RolePermission.type(of:)) ?? 0, key: json["key"]?.bytes ?? [],
                  rangeEnd: json["range_end"]?.bytes ?? [])
    }

    static func type(of value: JSON) -> Int32 {
        switch value {
        case .string(let name): Int32(AuthOutput.permissionTypes.firstIndex(of: name) ?? Int(name) ?? 0)
        case .number(let text): Int32(text) ?? 0
        default: 0
        }
    }

    /// Go's `Permission_Type.String()`: the name, or the number when it has none.
    var typeName: String {
        type >= 0 && Int(type) < AuthOutput.permissionTypes.count ? AuthOutput.permissionTypes[Int(type)] : "\(type)"
    }

    /// The tab-indented line etcdctl prints for it under `KV Read:` / `KV Write:`.
    var shown: [UInt8] {
        var line: [UInt8] = [9]
        if rangeEnd.isEmpty { return line + key }
        line += Array("[".utf8) + key + Array(", ".utf8)
        line += rangeEnd == [0] ? Array("<open ended>".utf8) : rangeEnd + Array(")".utf8)
        if prefixRangeEnd(key) == rangeEnd { line += Array(" (prefix ".utf8) + key + Array(")".utf8) }
        return line
    }
}
