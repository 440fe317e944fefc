// Command clientv3 runs etcd's own Go client (go.etcd.io/etcd/clientv3 and clientv3/concurrency, the
// client Kubernetes uses) against a server and prints one line per check: "ok NAME" or "FAIL NAME: REASON",
// sometimes followed by indented "note:" lines. It exits 1 if any check failed, 2 on bad flags.
//
// It builds offline from Debian's Go packages (golang-etcd-server-dev and its dependencies):
//
//	GO111MODULE=off GOPATH=$(mktemp -d):/usr/share/gocode go build -o /tmp/clientv3 ./interop/clientv3
//
// scripts/clientv3-check.sh builds it and runs it against a fresh etcd and a fresh keel.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/pkg/logutil"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/grpclog"
)

// check is one named group of assertions; run returns the first broken one.
type check struct {
	name string
	run  func(e *env) error
}

// checks lists every check in the order they run. compact runs late: it discards history others read; auth
// runs last: it enables auth for a while.
var checks = []check{
	{"kv", checkKV},
	{"kv-large", checkKVLarge},
	{"txn", checkTxn},
	{"watch", checkWatch},
	{"watch-progress", checkWatchProgress},
	{"lease", checkLease},
	{"lease-expiry", checkLeaseExpiry},
	{"mutex", checkMutex},
	{"election", checkElection},
	{"cluster", checkCluster},
	{"endpoints", checkEndpoints},
	{"maintenance", checkMaintenance},
	{"snapshot", checkSnapshot},
	{"compact", checkCompact},
	{"errors", checkErrors},
	{"auth", checkAuth},
}

func main() {
	endpoints := flag.String("endpoints", "127.0.0.1:2379",
		"comma-separated client endpoints (host:port or http://host:port)")
	only := flag.String("checks", "", "comma-separated checks to run (default: all; -list names them)")
	list := flag.Bool("list", false, "print the check names and exit")
	callTimeout := flag.Duration("call-timeout", 5*time.Second, "timeout of each client call")
	checkTimeout := flag.Duration("check-timeout", 60*time.Second, "timeout of a whole check")
	dialTimeout := flag.Duration("dial-timeout", 5*time.Second, "timeout of the first connection")
	members := flag.Int("members", 0, "members the cluster check expects (0: any number)")
	prefix := flag.String("prefix", "", "prefix of every key written (default: interop/<unix nanoseconds>/)")
	verbose := flag.Bool("verbose", false, "print the gRPC and client logs on stderr")
	flag.Parse()

	if *list {
		for _, c := range checks {
			fmt.Println(c.name)
		}
		return
	}
	selected, err := selectChecks(*only)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	eps := splitList(*endpoints)
	if len(eps) == 0 {
		fmt.Fprintln(os.Stderr, "--endpoints is empty")
		os.Exit(2)
	}
	if *prefix == "" {
		*prefix = fmt.Sprintf("interop/%d/", time.Now().UnixNano())
	}

	e := &env{
		endpoints:     eps,
		prefix:        *prefix,
		callTimeout:   *callTimeout,
		expectMembers: *members,
		verbose:       *verbose,
		dialTimeout:   *dialTimeout,
	}
	if *verbose {
		clientv3.SetLogger(grpclog.NewLoggerV2(os.Stderr, os.Stderr, os.Stderr))
	}
	cli, err := e.connect(eps)
	if err != nil {
		fmt.Printf("FAIL connect: %v (endpoints %s; is gRPC served there?)\n", err, strings.Join(eps, ","))
		os.Exit(1)
	}
	e.cli = cli

	failed := 0
	for _, c := range selected {
		if err := runCheck(e, c, *checkTimeout); err != nil {
			fmt.Printf("FAIL %s: %v\n", c.name, err)
			failed++
		} else {
			fmt.Printf("ok %s\n", c.name)
		}
		for _, n := range e.takeNotes() {
			fmt.Printf("  note: %s\n", n)
		}
	}
	closeWithin(cli, e.callTimeout)
	fmt.Printf("%d passed, %d failed\n", len(selected)-failed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}

// runCheck runs c in its own goroutine so that a hung call fails the check after timeout instead of
// hanging the program; the goroutine is abandoned then.
func runCheck(e *env, c check, timeout time.Duration) (err error) {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("panic: %v", r)
			}
		}()
		done <- c.run(e)
	}()
	select {
	case err = <-done:
		return err
	case <-time.After(timeout):
		return fmt.Errorf("timed out after %v", timeout)
	}
}

func selectChecks(only string) ([]check, error) {
	if only == "" || only == "all" {
		return checks, nil
	}
	var out []check
	for _, name := range splitList(only) {
		found := false
		for _, c := range checks {
			if c.name == name {
				out = append(out, c)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown check %q (-list names them)", name)
		}
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// env is what every check shares: the client, the endpoints and the key prefix of this run.
type env struct {
	cli           *clientv3.Client
	endpoints     []string
	prefix        string
	callTimeout   time.Duration
	dialTimeout   time.Duration
	expectMembers int
	verbose       bool

	notesMu sync.Mutex // notef may run in an abandoned check's goroutine
	notes   []string
}

// connect dials the endpoints and blocks until a connection is up (as Kubernetes does, with WithBlock).
func (e *env) connect(eps []string) (*clientv3.Client, error) {
	logConfig := logutil.DefaultZapLoggerConfig
	if !e.verbose {
		logConfig.Level = zap.NewAtomicLevelAt(zap.FatalLevel)
	}
	return clientv3.New(clientv3.Config{
		Endpoints:   eps,
		DialTimeout: e.dialTimeout,
		DialOptions: []grpc.DialOption{grpc.WithBlock()},
		LogConfig:   &logConfig,
	})
}

// ctx gives one client call its deadline.
func (e *env) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), e.callTimeout)
}

// key names a key under this run's prefix.
func (e *env) key(name string) string { return e.prefix + name }

// notef records a line printed under the check's result.
func (e *env) notef(format string, args ...interface{}) {
	e.notesMu.Lock()
	defer e.notesMu.Unlock()
	e.notes = append(e.notes, fmt.Sprintf(format, args...))
}

// takeNotes returns the notes recorded since the last call and forgets them.
func (e *env) takeNotes() []string {
	e.notesMu.Lock()
	defer e.notesMu.Unlock()
	notes := e.notes
	e.notes = nil
	return notes
}

// closeWithin closes a client without letting a stuck connection hang the program.
func closeWithin(cli *clientv3.Client, timeout time.Duration) {
	done := make(chan struct{})
	go func() {
		cli.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(timeout):
	}
}
