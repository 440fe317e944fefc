import Glibc

/// etcdctl's exit codes (etcdctl/ctlv3/command/error.go).
enum ExitCode {
    static let success: Int32 = 0
    static let error: Int32 = 1
    static let badConnection: Int32 = 2
    static let invalidInput: Int32 = 3
    static let badFeature: Int32 = 4
    static let interrupted: Int32 = 5
    static let badArgs: Int32 = 128
}

/// A failure that ends the command: printed as `Error: <message>` (and the usage line for bad arguments).
struct CtlError: Error {
    let message: String
    let exitCode: Int32
    var usage: String? = nil

    static func badArgs(_ message: String, usage: String? = nil) -> CtlError {
        CtlError(message: message, exitCode: ExitCode.badArgs, usage: usage)
    }
}

/// One flag a command accepts, in pflag's shape: `--name value`, `--name=value`, `-s value`; booleans take
/// no value unless given as `--name=false`.
struct FlagSpec: Sendable {
    let name: String
    var short: Character? = nil
    var isBool = false
    var defaultValue = ""

    static func bool(_ name: String, short: Character? = nil) -> FlagSpec {
        FlagSpec(name: name, short: short, isBool: true, defaultValue: "false")
    }

    static func value(_ name: String, short: Character? = nil, _ defaultValue: String = "") -> FlagSpec {
        FlagSpec(name: name, short: short, isBool: false, defaultValue: defaultValue)
    }
}

/// The flags every command takes (etcdctl's global options); discovery ones are accepted and ignored.
/// `--user` and `--password` are the credentials (`Credentials.swift`); `--cacert`, `--cert`, `--key`,
/// `--insecure-transport` (true by default, as in etcdctl) and `--insecure-skip-tls-verify` choose TLS
/// (`TLSOptions.swift`).
let globalFlagSpecs: [FlagSpec] = [
    .value("endpoints", "127.0.0.1:2379"), .value("dial-timeout", "2s"), .value("command-timeout", "5s"),
    .value("write-out", short: "w", "simple"), .bool("hex"), .bool("debug"), .value("keepalive-time", "2s"),
    .value("keepalive-timeout", "6s"), .value("user"), .value("password"), .value("cacert"), .value("cert"),
    .value("key"), FlagSpec(name: "insecure-transport", isBool: true, defaultValue: "true"),
    .bool("insecure-skip-tls-verify"), .bool("insecure-discovery"),
    .value("discovery-srv", short: "d"), .value("discovery-srv-name"), .bool("help", short: "h"),
]

/// Arguments after flag parsing.
struct ParsedArguments: Sendable {
    var positionals: [String] = []
    /// Flags given on the command line (long name → value).
    var given: [String: String] = [:]
    /// Arguments after `--` (watch and lock run them as a command).
    var afterDashDash: [String]? = nil
    var specs: [FlagSpec] = []

    func value(_ name: String) -> String {
        if let value = given[name] { return value }
        return specs.first { $0.name == name }?.defaultValue ?? ""
    }

    func bool(_ name: String) -> Bool { value(name) == "true" }
    func has(_ name: String) -> Bool { given[name] != nil }
}

/// Parses `arguments` against `specs`, pflag style (flags and positionals interleave).
func parseFlags(_ arguments: [String], specs: [FlagSpec], commandAfterPositionals: Int? = nil) throws(CtlError)
    -> ParsedArguments {
    var parsed = ParsedArguments(specs: specs)
    var k = 0
    while k < arguments.count {
        let argument = arguments[k]
        k += 1
        if let limit = commandAfterPositionals, parsed.positionals.count == limit, argument != "--" {
            parsed.positionals += arguments[(k - 1)...]
            break
        }
        if argument == "--" {
            parsed.afterDashDash = Array(arguments[k...])
            break
        }
        guard argument.hasPrefix("-"), argument.count > 1 else {
            parsed.positionals.append(argument)
            continue
        }
        var name: String
        var inline: String?
        let spec: FlagSpec?
        if argument.hasPrefix("--") {
            let body = argument.dropFirst(2)
            if let equals = body.firstIndex(of: "=") {
                name = String(body[..<equals])
                inline = String(body[body.index(after: equals)...])
            } else {
                name = String(body)
            }
            spec = specs.first { $0.name == name }
        } else {
            let body = argument.dropFirst()
            let letter = body.first!
            spec = specs.first { $0.short == letter }
            name = spec?.name ?? String(letter)
            let rest = body.dropFirst()
            if !rest.isEmpty { inline = rest.hasPrefix("=") ? String(rest.dropFirst()) : String(rest) }
        }
        guard let spec else {
            let shown = argument.hasPrefix("--") ? "--\(name)" : "-\(name)"
            throw CtlError(message: "unknown flag: \(shown)", exitCode: ExitCode.error)
        }
        if spec.isBool {
            let value = inline ?? "true"
            guard value == "true" || value == "false" else {
                throw CtlError(message: "invalid argument \"\(value)\" for \"--\(spec.name)\" flag",
                               exitCode: ExitCode.error)
            }
            parsed.given[spec.name] = value
        } else if let inline {
            parsed.given[spec.name] = inline
        } else {
            guard k < arguments.count else {
                throw CtlError(message: "flag needs an argument: --\(spec.name)", exitCode: ExitCode.error)
            }
            parsed.given[spec.name] = arguments[k]
            k += 1
        }
    }
    return parsed
}

/// Finds the command words (e.g. `lease grant`) among the arguments, skipping global flags.
/// - Returns: the indices of the command words in `arguments`.
func commandWordIndices(_ arguments: [String], isGroup: (String) -> Bool) -> [Int] {
    var indices: [Int] = []
    var k = 0
    while k < arguments.count {
        let argument = arguments[k]
        if argument == "--" { break }
        if argument.hasPrefix("-") && argument.count > 1 {
            let long = argument.hasPrefix("--") ? String(argument.dropFirst(2)) : nil
            let spec = globalFlagSpecs.first { spec in
                if let long { return spec.name == long }
                return spec.short == argument.dropFirst().first && argument.count == 2
            }
            if let spec, !spec.isBool { k += 1 }
            k += 1
            continue
        }
        indices.append(k)
        if indices.count == 2 || !isGroup(argument) { break }
        k += 1
    }
    return indices
}

/// The output formats of `-w`.
enum OutputFormat: String, Sendable {
    case simple, json, table, fields, protobuf
}

/// How keelctl talks to the server: gRPC as etcdctl does, or keel's JSON gateway (`KEELCTL_PROTOCOL=json`, for
/// checking the gateway with the same commands). Both print the same: gRPC answers are rendered with the
/// gateway's JSON encoder.
enum Transport: String, Sendable {
    case grpc, json

    /// The environment variable that picks the transport.
    static let variable = "KEELCTL_PROTOCOL"
}

/// Options every command shares, from global flags and `ETCDCTL_*` variables.
struct GlobalOptions: Sendable {
    var transport: Transport
    var endpoints: [Endpoint]
    var dialMilliseconds: Int
    var commandMilliseconds: Int
    var format: OutputFormat
    var hex: Bool
    /// `--user`/`--password` and the token they get, shared by every client of this run.
    var auth: AuthSession
    /// Which connections use TLS, and with what.
    var tls: TLSOptions

    /// Resolves flags against `ETCDCTL_*` environment variables; both set is fatal, as in etcdctl.
    init(_ parsed: ParsedArguments) throws(CtlError) {
        var values: [String: String] = [:]
        for spec in globalFlagSpecs {
            let variable = "ETCDCTL_" + spec.name.uppercased().replacingDashes()
            let environment = getenv(variable).map { String(cString: $0) }
            if environment != nil, parsed.has(spec.name) {
                throw CtlError(message: "conflicting environment variable \"\(variable)\" is shadowed by "
                    + "corresponding command-line flag (either unset environment variable or disable flag)",
                    exitCode: ExitCode.error)
            }
            values[spec.name] = parsed.given[spec.name] ?? environment ?? spec.defaultValue
        }
        endpoints = try values["endpoints", default: ""].split(separator: ",").map { part throws(CtlError) in
            try Endpoint(String(part).trimmingSpaces())
        }
        if endpoints.isEmpty { throw .badArgs("no endpoints given") }
        dialMilliseconds = try parseDuration(values["dial-timeout", default: "2s"], flag: "dial-timeout")
        commandMilliseconds = try parseDuration(values["command-timeout", default: "5s"], flag: "command-timeout")
        guard let format = OutputFormat(rawValue: values["write-out", default: "simple"]) else {
            throw CtlError(message: "unsupported output format", exitCode: ExitCode.badFeature)
        }
        self.format = format
        hex = values["hex"] == "true"
        auth = AuthSession(user: values["user", default: ""], password: values["password", default: ""])
        tls = try TLSOptions(values, given: parsed.has)
        let transportName = getenv(Transport.variable).map { String(cString: $0) } ?? ""
        guard let transport = transportName.isEmpty ? .grpc : Transport(rawValue: transportName) else {
            throw .badArgs("\(Transport.variable)=\(transportName): want grpc or json")
        }
        self.transport = transport
    }
}

extension String {
    func replacingDashes() -> String { String(map { $0 == "-" ? "_" : $0 }) }
}

/// An endpoint as given (`127.0.0.1:2379`, `http://host:port` or `https://host:port`); `display` is printed
/// as given.
struct Endpoint: Sendable {
    /// What the endpoint's URL says about TLS (`TLSOptions` decides with the flags).
    enum Scheme: Sendable {
        /// `host:port`: TLS when a TLS flag asks for it.
        case none
        /// `http://`: never TLS.
        case http
        /// `https://`: always TLS.
        case https
    }

    let display: String
    let scheme: Scheme
    let host: String
    let port: Int

    init(_ text: String) throws(CtlError) {
        display = text
        var rest = Substring(text)
        if rest.hasPrefix("http://") {
            rest = rest.dropFirst(7)
            scheme = .http
        } else if rest.hasPrefix("https://") {
            rest = rest.dropFirst(8)
            scheme = .https
        } else {
            scheme = .none
        }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
              port > 0, port < 65536 else {
            throw .badArgs("invalid endpoint \"\(text)\" (want host:port)")
        }
        host = String(rest[..<colon])
        self.port = port
    }
}

/// Go's `time.ParseDuration` for the forms people type (`2s`, `500ms`, `1m30s`, `1.5s`).
/// - Returns: milliseconds.
func parseDuration(_ text: String, flag: String) throws(CtlError) -> Int {
    let units: [(String, Double)] = [("ms", 1), ("us", 0.001), ("µs", 0.001), ("ns", 0.000001), ("s", 1000),
                                     ("m", 60_000), ("h", 3_600_000)]
    var total = 0.0
    var rest = Substring(text)
    if rest == "0" { return 0 }
    while !rest.isEmpty {
        let number = rest.prefix { $0.isNumber || $0 == "." }
        rest = rest.dropFirst(number.count)
        guard let value = Double(number), let unit = units.first(where: { rest.hasPrefix($0.0) }) else {
            throw .badArgs("invalid argument \"\(text)\" for \"--\(flag)\" flag: time: invalid duration \(text)")
        }
        rest = rest.dropFirst(unit.0.count)
        total += value * unit.1
    }
    return max(Int(total.rounded(.up)), 0)
}
