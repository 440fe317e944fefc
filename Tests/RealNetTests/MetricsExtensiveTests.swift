import Core
import Foundation
import RealNet
import Testing

/// etcd's --metrics extensive: go-grpc-prometheus's handling-time histogram per method, from zero; basic
/// (the default) leaves it out.
@Suite(.serialized)
struct MetricsExtensiveTests {
    @Test("--metrics extensive serves grpc_server_handling_seconds per method in Prometheus's default buckets",
          .enabled(if: MetricsParser.available, "needs python3 with prometheus-client (pip)"))
    func handlingHistogram() throws {
        let cluster = try KeelCluster(size: 1, extra: ["--metrics", "extensive"])
        defer { cluster.stopAll() }
        let port = cluster.members[0].clientPort
        let connection = try GRPCClientTests.connect(port)
        for k in 0..<3 {
            _ = try GRPCClientTests.unary(connection, .put, .put(PutRequest(key: Array("k\(k)".utf8), value: [1])))
        }
        connection.close()
        let scrape = try MetricsParser.parse(try MetricsTests.scrapeText(port))
        #expect(scrape.errors == [])
        #expect(scrape.types["grpc_server_handling_seconds"] == "histogram")
        #expect(scrape.helps["grpc_server_handling_seconds"]
                == "Histogram of response latency (seconds) of gRPC that had been application-level handled by "
                    + "the server.")
        let put = ["grpc_method": "Put", "grpc_service": "etcdserverpb.KV", "grpc_type": "unary"]
        #expect(scrape.value("grpc_server_handling_seconds_count", family: "grpc_server_handling_seconds", put) == 3)
        #expect(scrape.value("grpc_server_handling_seconds_bucket", family: "grpc_server_handling_seconds",
                             put.merging(["le": "10"]) { a, _ in a }) == 3)
        let range = ["grpc_method": "Range", "grpc_service": "etcdserverpb.KV", "grpc_type": "unary"]
        #expect(scrape.value("grpc_server_handling_seconds_count", family: "grpc_server_handling_seconds", range)
                == 0)
        let buckets = (scrape.samples["grpc_server_handling_seconds"] ?? [])
            .filter { $0.name == "grpc_server_handling_seconds_bucket" && $0.labels["grpc_method"] == "Put" }
            .compactMap { $0.labels["le"] }
        #expect(buckets == ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"])
    }

    @Test("by default (basic) there is no handling histogram")
    func basic() throws {
        let cluster = try KeelCluster(size: 1)
        defer { cluster.stopAll() }
        let text = try MetricsTests.scrapeText(cluster.members[0].clientPort)
        #expect(!text.contains("grpc_server_handling_seconds"))
        #expect(text.contains("grpc_server_handled_total"))
    }
}
