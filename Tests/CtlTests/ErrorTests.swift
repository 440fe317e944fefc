import Foundation  // Process-based tests.
import Glibc
import Testing

@Suite(.timeLimit(.minutes(1)))
struct ErrorTests {
    let endpoint = shared?.endpoint ?? "127.0.0.1:1"

    @Test("wrong arguments: the problem, the usage line, exit 128")
    func badArguments() {
        let get = keelctl(["get"], endpoint: endpoint)
        #expect(get.status == 128)
        #expect(get.stderr == "Error: get command needs one argument as key and an optional argument as range_end\n"
                + "Usage: keelctl get [options] <key> [range_end]\n")
        let put = keelctl(["put", "onlykey"], endpoint: endpoint, stdin: "")
        #expect(put.status == 128 && put.stderr.hasPrefix(
            "Error: put command needs 1 argument and input from stdin or 2 arguments\n"))
        let lease = keelctl(["put", "k", "v", "--lease", "xyz"], endpoint: endpoint)
        #expect(lease.status == 128 && lease.stderr.hasPrefix("Error: bad lease ID (xyz), expecting ID in Hex\n"))
    }

    @Test("help at every level: keelctl --help, help <command>, <command> --help, help <group>, an unknown topic")
    func helpEverywhere() {
        let top = keelctl(["--help"], endpoint: nil)
        #expect(top.status == 0 && top.stdout.contains("make-mirror [options] <destination>"), "\(top)")
        for arguments in [["help", "get"], ["get", "--help"]] {
            let get = keelctl(arguments, endpoint: nil)
            #expect(get.status == 0 && get.stdout.hasPrefix("Usage: keelctl get [options] <key> [range_end]\n")
                    && get.stdout.contains("--consistency"), "\(arguments): \(get)")
        }
        let grant = keelctl(["help", "lease", "grant"], endpoint: nil)
        #expect(grant.status == 0 && grant.stdout.hasPrefix("Usage: keelctl lease grant <ttl>"), "\(grant)")
        let group = keelctl(["help", "lease"], endpoint: nil)
        #expect(group.status == 0 && group.stdout.contains("lease revoke <leaseID>")
                && !group.stdout.contains("  get "), "\(group)")
        let unknown = keelctl(["help", "nosuch"], endpoint: nil)
        #expect(unknown.status == 1 && unknown.stderr.hasPrefix("Error: unknown help topic \"nosuch\""), "\(unknown)")
    }

    @Test("unknown commands and flags, unsupported formats")
    func unknownThings() {
        let command = keelctl(["nosuchcommand"], endpoint: endpoint)
        #expect(command.status == 1)
        #expect(command.stderr == "Error: unknown command \"nosuchcommand\" for \"keelctl\"\n"
                + "Run 'keelctl --help' for usage.\n")
        let flag = keelctl(["get", "k", "--nosuchflag"], endpoint: endpoint)
        #expect(flag.status == 1 && flag.stderr.hasPrefix("Error: unknown flag: --nosuchflag\n"))
        let table = keelctl(["get", "k", "-w", "table"], endpoint: endpoint)
        #expect(table.status == 4 && table.stderr == "Error: table not supported as output format\n")
    }

    @Test("an unreachable endpoint fails in one line with exit 1; the next endpoint is tried")
    func unreachable() {
        let down = keelctl(["--dial-timeout", "300ms", "get", "k"], endpoint: "127.0.0.1:1", seconds: 5)
        #expect(down.status == 1)
        #expect(down.stderr.hasPrefix("Error: context deadline exceeded"))
        #expect(down.stderr.split(separator: "\n").count == 1)
        let failover = keelctl(["put", "err/k", "v"], endpoint: "127.0.0.1:1,\(endpoint)")
        #expect(failover.status == 0 && failover.stdout == "OK\n", "\(failover)")
    }

    @Test("server errors print etcdctl's message, exit 1")
    func serverErrors() {
        let lease = keelctl(["put", "k", "v", "--lease", "1234abcd"], endpoint: endpoint)
        #expect(lease.status == 1 && lease.stderr == "Error: etcdserver: requested lease not found\n")
        let ttl = keelctl(["lease", "timetolive", "1234abcd"], endpoint: endpoint)
        #expect(ttl.stdout == "lease 000000001234abcd already expired\n")
    }

    @Test("ETCDCTL_ variables configure keelctl; a variable and its flag together are fatal")
    func environment() {
        let viaEnvironment = keelctl(["put", "env/k", "v"], endpoint: nil, environment: ["ETCDCTL_ENDPOINTS": endpoint])
        #expect(viaEnvironment.stdout == "OK\n")
        let both = keelctl(["get", "env/k"], endpoint: endpoint, environment: ["ETCDCTL_ENDPOINTS": endpoint])
        #expect(both.status == 1)
        #expect(both.stderr == "Error: conflicting environment variable \"ETCDCTL_ENDPOINTS\" is shadowed by "
                + "corresponding command-line flag (either unset environment variable or disable flag)\n")
        let json = keelctl(["get", "env/k"], endpoint: endpoint, environment: ["ETCDCTL_WRITE_OUT": "json"])
        #expect(json.stdout.hasPrefix("{\"header\":"))
    }
}
