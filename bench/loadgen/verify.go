package main

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"go.etcd.io/etcd/clientv3"
)

// verifyResult is what --verify found after a put or txn-put run.
type verifyResult struct {
	Mode string `json:"mode"`
	// Count is the count-only range over the prefix; it must lie in [CountMin, CountMax]: at least the distinct
	// acknowledged keys, at most the distinct keys any request (acknowledged or not) wrote.
	Count    *int64 `json:"count,omitempty"`
	CountMin int    `json:"count_min"`
	CountMax int    `json:"count_max"`
	// Read back: each distinct acknowledged key read linearizably.
	ReadBack   int `json:"read_back"`
	Missing    int `json:"missing"`     // acknowledged key absent
	Stale      int `json:"stale"`       // mod revision below the key's last acknowledged write
	WrongValue int `json:"wrong_value"` // at the acknowledged revision but not the value written
	Rewritten  int `json:"rewritten"`   // a new-key run's key modified after its only write
	ReadErrors int `json:"read_errors"` // reads that failed, so the key could not be checked
}

// keyWrite is the last acknowledged write of one key: the request that made it and its revision.
type keyWrite struct {
	number   int
	index    int
	revision int64
}

// verifyWrites checks every acknowledged write of the run is in the store and records failures in r.
func verifyWrites(c *common, conns []*clientv3.Client, keys *keySpace, revisions []int64, w writeFlags,
	r *report) *verifyResult {
	v := &verifyResult{Mode: string(w.verify)}
	last := map[int]keyWrite{}
	attempted := map[int]bool{}
	for i, rev := range revisions {
		n := keys.number(i)
		attempted[n] = true
		if rev > 0 && rev > last[n].revision {
			last[n] = keyWrite{number: n, index: i, revision: rev}
		}
	}
	v.CountMin, v.CountMax = len(last), len(attempted)

	if w.verify.counts() {
		ctx, cancel := callContext(c)
		resp, err := conns[0].Get(ctx, keys.prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
		cancel()
		if err != nil {
			r.failf("verify: count over %q: %v", keys.prefix, err)
		} else {
			v.Count = &resp.Count
			if resp.Count < int64(v.CountMin) {
				r.failf("verify: %d keys under %q, but %d distinct keys were acknowledged", resp.Count,
					keys.prefix, v.CountMin)
			} else if resp.Count > int64(v.CountMax) {
				r.failf("verify: %d keys under %q, but this run wrote only %d distinct keys", resp.Count,
					keys.prefix, v.CountMax)
			}
		}
	}

	if w.verify.reads() {
		writes := make([]keyWrite, 0, len(last))
		for _, kw := range last {
			writes = append(writes, kw)
		}
		sort.Slice(writes, func(i, j int) bool { return writes[i].number < writes[j].number })
		var mu sync.Mutex
		var problems []string
		note := func(counter *int, format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			*counter++
			if len(problems) < 5 {
				problems = append(problems, fmt.Sprintf(format, args...))
			}
		}
		check := func(ctx context.Context, cli *clientv3.Client, i int) error {
			kw := writes[i]
			key := keys.key(kw.number)
			resp, err := cli.Get(ctx, key)
			if err != nil {
				note(&v.ReadErrors, "reading back %s: %v", key, err)
				return err
			}
			if len(resp.Kvs) == 0 {
				note(&v.Missing, "%s acknowledged at revision %d is missing", key, kw.revision)
				return nil
			}
			kv := resp.Kvs[0]
			switch {
			case kv.ModRevision < kw.revision:
				note(&v.Stale, "%s has mod revision %d, below its acknowledged write at %d", key, kv.ModRevision,
					kw.revision)
			case kv.ModRevision == kw.revision && string(kv.Value) != value(kw.index, w.valSize):
				note(&v.WrongValue, "%s at revision %d holds %q, not request %d's value", key, kv.ModRevision,
					kv.Value, kw.index)
			case kv.ModRevision > kw.revision && keys.size == 0:
				note(&v.Rewritten, "%s written once at revision %d has mod revision %d", key, kw.revision,
					kv.ModRevision)
			}
			return nil
		}
		readers := *c
		readers.rate = 0
		runPhase(&readers, conns, 0, len(writes), 0, check)
		v.ReadBack = len(writes)
		for _, p := range problems {
			r.failf("verify: %s", p)
		}
		if bad := v.Missing + v.Stale + v.WrongValue + v.Rewritten + v.ReadErrors; bad > len(problems) {
			r.failf("verify: %d keys in all failed the read-back (missing %d, stale %d, wrong value %d, "+
				"rewritten %d, unreadable %d)", bad, v.Missing, v.Stale, v.WrongValue, v.Rewritten, v.ReadErrors)
		}
	}
	return v
}

func (v *verifyResult) printText() {
	line := fmt.Sprintf("  verify (%s)  ", v.Mode)
	if v.Count != nil {
		line += fmt.Sprintf("count %d under the prefix (acknowledged distinct keys %d, written at most %d)",
			*v.Count, v.CountMin, v.CountMax)
	}
	if v.ReadBack > 0 {
		if v.Count != nil {
			line += "; "
		}
		line += fmt.Sprintf("read back %d keys: missing %d, stale %d, wrong value %d, rewritten %d, unreadable %d",
			v.ReadBack, v.Missing, v.Stale, v.WrongValue, v.Rewritten, v.ReadErrors)
	}
	fmt.Println(line)
}
