package main

import (
	"context"
	"fmt"
	"os"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/etcdserver/api/v3rpc/rpctypes"
	pb "go.etcd.io/etcd/etcdserver/etcdserverpb"
)

// runAuthenticate runs authenticate: every request is one Auth.Authenticate RPC with --user's name and
// password, the call a client makes to log in (a bcrypt check of the password on the server, and in etcd a
// Raft proposal for the token). clientv3 3.4's Auth API has no Authenticate, so each request goes through
// the generated gRPC client on its connection, which is dialed without credentials: logging in needs no token.
// Every answer must carry a token, and no two answers the same one.
func runAuthenticate(args []string) int {
	const name = "authenticate"
	var c common
	fs, endpoints := newFlagSet(name, &c, true)
	if _, ok := parseArgs(fs, args); !ok {
		return 2
	}
	if err := c.finish(*endpoints); err != nil {
		return usageError(name, err)
	}
	if c.username == "" {
		return usageError(name, fmt.Errorf("--user name:password is required: it is what each request sends"))
	}
	anonymous := c
	anonymous.username, anonymous.password = "", ""
	conns, err := dial(&anonymous)
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadgen %s: %v\n", name, err)
		return 1
	}
	defer closeAll(conns)

	// tokens[i] is request i's token, "" while it has none. Each slot is written by the one goroutine that sent
	// request i; runPhase's WaitGroup orders that before any read.
	tokens := make([]string, c.warmup+c.total)
	request := &pb.AuthenticateRequest{Name: c.username, Password: c.password}
	send := func(ctx context.Context, cli *clientv3.Client, index int) error {
		resp, err := pb.NewAuthClient(cli.ActiveConnection()).Authenticate(ctx, request)
		if err != nil {
			return rpctypes.Error(err)
		}
		if resp.Token == "" {
			return fmt.Errorf("Authenticate answered without a token")
		}
		tokens[index] = resp.Token
		return nil
	}
	if c.warmup > 0 {
		runPhase(&c, conns, 0, c.warmup, c.rate, send)
	}
	p := runPhase(&c, conns, c.warmup, c.total, c.rate, send)
	r := newReport(name, &c, p)
	r.Settings["user"] = c.username
	checkTokensDiffer(r, tokens)
	return r.emit(c.json)
}

// checkTokensDiffer fails the run when two Authenticate answers (warmup included) gave the same token: each
// login must get a token of its own.
func checkTokensDiffer(r *report, tokens []string) {
	byToken := map[string]int{}
	duplicates := 0
	for i, token := range tokens {
		if token == "" {
			continue
		}
		if other, ok := byToken[token]; ok {
			if duplicates < 3 {
				r.failf("requests %d and %d were both given token %q", other, i, token)
			}
			duplicates++
			continue
		}
		byToken[token] = i
	}
	if duplicates > 3 {
		r.failf("%d tokens in all were given to an earlier request too", duplicates)
	}
}
