package main

import (
	"context"
	"fmt"
	"os"

	"go.etcd.io/etcd/clientv3"
)

// writeFlags are the flags of put and txn-put.
type writeFlags struct {
	keySize      int
	valSize      int
	keySpaceSize int
	sequential   bool
	seed         uint64
	verify       verifyMode
}

func runPut(args []string) int    { return runWrites("put", args) }
func runTxnPut(args []string) int { return runWrites("txn-put", args) }

// runWrites runs put or txn-put: warmup and measured requests each write one key of the key space, and the
// revision of every acknowledged write is kept for --verify.
func runWrites(name string, args []string) int {
	var c common
	var w writeFlags
	w.verify = "off"
	fs, endpoints := newFlagSet(name, &c, true)
	fs.IntVar(&w.keySize, "key-size", 32, "bytes of each key, the prefix included")
	fs.IntVar(&w.valSize, "val-size", 8, "bytes of each value")
	fs.IntVar(&w.keySpaceSize, "key-space-size", 0, "number of distinct keys (0: a new key each request)")
	fs.BoolVar(&w.sequential, "sequential-keys", false, "write key numbers in order (i % key-space-size) instead of at random")
	fs.Uint64Var(&w.seed, "seed", 1, "seed of the random key numbers")
	fs.Var(&w.verify, "verify", "afterwards check every acknowledged put is there: all (bare --verify), count, read or off")
	if _, ok := parseArgs(fs, args); !ok {
		return 2
	}
	if err := c.finish(*endpoints); err != nil {
		return usageError(name, err)
	}
	if w.valSize < 0 {
		return usageError(name, fmt.Errorf("--val-size must not be negative"))
	}
	keys, err := newKeySpace(c.prefix, w.keySize, w.keySpaceSize, w.sequential, c.warmup+c.total, w.seed)
	if err != nil {
		return usageError(name, err)
	}

	conns, err := dial(&c)
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadgen %s: %v\n", name, err)
		return 1
	}
	defer closeAll(conns)

	// revisions[i] is the header revision of request i's acknowledgement, 0 while unacknowledged. Each slot is
	// written by the one goroutine that sent request i; runPhase's WaitGroup orders that before any read.
	revisions := make([]int64, c.warmup+c.total)
	send := func(ctx context.Context, cli *clientv3.Client, index int) error {
		key, val := keys.key(keys.number(index)), value(index, w.valSize)
		if name == "put" {
			resp, err := cli.Put(ctx, key, val)
			if err != nil {
				return err
			}
			revisions[index] = resp.Header.Revision
			return nil
		}
		resp, err := cli.Txn(ctx).Then(clientv3.OpPut(key, val)).Commit()
		if err != nil {
			return err
		}
		if !resp.Succeeded {
			return fmt.Errorf("txn without a condition did not succeed")
		}
		revisions[index] = resp.Header.Revision
		return nil
	}
	if c.warmup > 0 {
		runPhase(&c, conns, 0, c.warmup, c.rate, send)
	}
	p := runPhase(&c, conns, c.warmup, c.total, c.rate, send)

	r := newReport(name, &c, p)
	r.Settings["prefix"] = c.prefix
	r.Settings["key_size"] = w.keySize
	r.Settings["val_size"] = w.valSize
	r.Settings["key_space_size"] = w.keySpaceSize
	r.Settings["sequential_keys"] = w.sequential
	acked, distinct := countAcked(revisions, keys)
	r.AckedPuts, r.DistinctKeys = &acked, &distinct
	checkRevisions(r, revisions)
	if w.verify != "off" {
		r.Verify = verifyWrites(&c, conns, keys, revisions, w, r)
	}
	return r.emit(c.json)
}

// countAcked counts the acknowledged writes (warmup included) and the distinct keys they wrote.
func countAcked(revisions []int64, keys *keySpace) (acked, distinct int) {
	seen := map[int]bool{}
	for i, rev := range revisions {
		if rev > 0 {
			acked++
			seen[keys.number(i)] = true
		}
	}
	return acked, len(seen)
}

// checkRevisions fails the run when two acknowledged writes report the same revision: each put makes one.
func checkRevisions(r *report, revisions []int64) {
	byRevision := map[int64]int{}
	duplicates := 0
	for i, rev := range revisions {
		if rev <= 0 {
			continue
		}
		if other, ok := byRevision[rev]; ok {
			if duplicates < 3 {
				r.failf("requests %d and %d were both acknowledged at revision %d", other, i, rev)
			}
			duplicates++
			continue
		}
		byRevision[rev] = i
	}
	if duplicates > 3 {
		r.failf("%d acknowledgements in all share a revision with another", duplicates)
	}
}
