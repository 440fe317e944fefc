package main

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"

	"go.etcd.io/etcd/clientv3"
)

// runRange runs range: every request reads KEY (or, with --prefix, every key under it), linearizably (l) or
// serializably (s). --populate N first writes the key (or N keys under the prefix); each response must then
// count exactly what was written.
func runRange(args []string) int {
	const name = "range"
	var c common
	fs, endpoints := newFlagSet(name, &c, true)
	consistency := fs.String("consistency", "l", "l: linearizable, s: serializable")
	prefix := fs.Bool("prefix", false, "range over every key starting with KEY")
	populate := fs.Int("populate", 0, "write KEY (or this many keys under it with --prefix) first and check each count")
	valSize := fs.Int("val-size", 8, "bytes of each value --populate writes")
	limit := fs.Int64("limit", 0, "most keys each range returns (0: no limit)")
	positional, ok := parseArgs(fs, args)
	if !ok {
		return 2
	}
	if err := c.finish(*endpoints); err != nil {
		return usageError(name, err)
	}
	if len(positional) > 1 {
		return usageError(name, fmt.Errorf("one KEY at most, got %q", positional))
	}
	key := c.prefix + "range"
	if len(positional) == 1 {
		key = positional[0]
	}
	var opts []clientv3.OpOption
	switch *consistency {
	case "l":
	case "s":
		opts = append(opts, clientv3.WithSerializable())
	default:
		return usageError(name, fmt.Errorf("--consistency must be l or s"))
	}
	if *prefix {
		opts = append(opts, clientv3.WithPrefix())
	}
	if *limit > 0 {
		opts = append(opts, clientv3.WithLimit(*limit))
	}

	conns, err := dial(&c)
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadgen %s: %v\n", name, err)
		return 1
	}
	defer closeAll(conns)

	wantCount := int64(-1)
	if *populate > 0 {
		written := 1
		if *prefix {
			written = *populate
		}
		for i := 0; i < written; i++ {
			k := key
			if *prefix {
				k = fmt.Sprintf("%s%08d", key, i)
			}
			ctx, cancel := callContext(&c)
			_, err := conns[0].Put(ctx, k, value(i, *valSize))
			cancel()
			if err != nil {
				fmt.Fprintf(os.Stderr, "loadgen %s: populating %s: %v\n", name, k, err)
				return 1
			}
		}
		wantCount = int64(written)
	}

	var miscounts int64
	send := func(ctx context.Context, cli *clientv3.Client, index int) error {
		resp, err := cli.Get(ctx, key, opts...)
		if err != nil {
			return err
		}
		if wantCount >= 0 && resp.Count != wantCount {
			atomic.AddInt64(&miscounts, 1)
			return fmt.Errorf("range counted %d keys, want %d", resp.Count, wantCount)
		}
		return nil
	}
	if c.warmup > 0 {
		runPhase(&c, conns, 0, c.warmup, c.rate, send)
	}
	p := runPhase(&c, conns, c.warmup, c.total, c.rate, send)
	r := newReport(name, &c, p)
	r.Settings["key"] = key
	r.Settings["consistency"] = *consistency
	r.Settings["prefix"] = *prefix
	r.Settings["populate"] = *populate
	if wantCount >= 0 {
		r.Settings["val_size"] = *valSize
	}
	// A populated key set is static: a wrong count is a server bug, not load.
	if n := atomic.LoadInt64(&miscounts); n > 0 {
		r.failf("%d ranges (warmup included) did not count the %d populated keys", n, wantCount)
	}
	return r.emit(c.json)
}
