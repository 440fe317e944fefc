// Command loadgen drives load against an etcd-compatible server through etcd's own Go client
// (go.etcd.io/etcd/clientv3 3.4), in the spirit of etcd's tools/benchmark, and reports throughput and
// latency percentiles. Subcommands:
//
//	put           one put per request: a new key each request, or --key-space-size keys (random or
//	              --sequential-keys)
//	range         one range per request over a key (or, with --prefix, every key under it); --consistency l|s
//	txn-put       one txn per request whose success branch is a single put (as etcd's benchmark txn-put)
//	watch         --watchers watches over --streams gRPC watch streams, then --put-total puts at --put-rate on
//	              the watched keys; reports events/s and put-to-receipt latency and fails unless every watcher
//	              saw every acknowledged put exactly once, in revision order
//	authenticate  one Auth.Authenticate RPC per request with --user's name and password; each answer must carry
//	              a token, and no two the same
//
// Common flags: --endpoints, --clients (goroutines issuing requests), --conns (gRPC connections the clients
// share round-robin), --total, --warmup (requests sent first and not counted), --json (one JSON object on stdout),
// --user name:password (each connection authenticates at dial and sends its token with every call), and TLS as
// etcdctl's: --cacert, --cert, --key, --insecure-skip-tls-verify, https:// endpoints.
// Put and txn-put report the acknowledged puts; --verify afterwards counts the keys under the run's prefix and
// reads back every acknowledged key, and fails if any acknowledged put is missing.
//
// It builds offline from Debian's Go packages (golang-go, golang-etcd-server-dev):
//
//	GO111MODULE=off GOPATH=$(mktemp -d):/usr/share/gocode go build -o /tmp/loadgen ./bench/loadgen
//
// scripts/loadgen.sh does that and passes its arguments through. Exit status: 0 when the run finished and
// every assertion held (request errors are reported, not fatal), 1 when an assertion or verification failed
// or the server could not be reached, 2 for bad arguments.
package main

import (
	"fmt"
	"os"
	"sort"
)

// command is one subcommand: run parses its arguments and returns the exit status.
type command struct {
	summary string
	run     func(args []string) int
}

var commands = map[string]command{
	"authenticate": {"one Auth.Authenticate RPC per request (--user's name and password)", runAuthenticate},
	"put":          {"one put per request (new keys, or a bounded key space)", runPut},
	"range":        {"one range per request over a key or a prefix", runRange},
	"txn-put":      {"one txn holding one put per request", runTxnPut},
	"watch":        {"watchers over watch streams, then puts on the watched keys", runWatch},
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage()
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "loadgen: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	os.Exit(cmd.run(os.Args[2:]))
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: loadgen COMMAND [flags]   (loadgen COMMAND --help lists the flags)")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(os.Stderr, "  %-12s %s\n", name, commands[name].summary)
	}
}
