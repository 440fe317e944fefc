package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/etcdserver/api/v3rpc/rpctypes"
)

// checkCompact: after Compact(r2), a get at r1 is ErrCompacted, gets at r2 and later work, compacting at r1
// again is ErrCompacted, compacting past the store is ErrFutureRev, and a watch from r1 is canceled with the
// compact revision (Kubernetes relists on that).
func checkCompact(e *env) error {
	k := e.key("compact/k")
	var revs [3]int64
	for i := range revs {
		p, err := e.put(k, fmt.Sprint(i+1))
		if err != nil {
			return err
		}
		revs[i] = p.Header.Revision
	}
	r1, r2, r3 := revs[0], revs[1], revs[2]
	ctx, cancel := e.ctx()
	resp, err := e.cli.Compact(ctx, r2, clientv3.WithCompactPhysical())
	cancel()
	if err != nil {
		return fmt.Errorf("compact %d: %v", r2, err)
	}
	if resp.Header.Revision < r3 {
		return fmt.Errorf("compact %d: header revision %d, want >= %d", r2, resp.Header.Revision, r3)
	}
	if _, err := e.get(k, clientv3.WithRev(r1)); !isErr(err, rpctypes.ErrCompacted) {
		return fmt.Errorf("get at compacted revision %d: %v, want %v", r1, err, rpctypes.ErrCompacted)
	}
	if _, err := e.getValue(k, "2", clientv3.WithRev(r2)); err != nil {
		return fmt.Errorf("get at the compact revision: %v", err)
	}
	if _, err := e.getValue(k, "3", clientv3.WithRev(r3)); err != nil {
		return err
	}
	ctx, cancel = e.ctx()
	_, err = e.cli.Compact(ctx, r1)
	cancel()
	if err != rpctypes.ErrCompacted {
		return fmt.Errorf("compact %d after compact %d: %v, want %v", r1, r2, err, rpctypes.ErrCompacted)
	}
	ctx, cancel = e.ctx()
	_, err = e.cli.Compact(ctx, r3+1000)
	cancel()
	if err != rpctypes.ErrFutureRev {
		return fmt.Errorf("compact past the store: %v, want %v", err, rpctypes.ErrFutureRev)
	}

	watchCtx, stop := context.WithCancel(context.Background())
	defer stop()
	ch := e.cli.Watch(watchCtx, k, clientv3.WithRev(r1))
	wr, err := recvWatch(ch, e.callTimeout)
	if err != nil {
		return fmt.Errorf("watch from compacted revision %d: %v", r1, err)
	}
	if wr.CompactRevision != r2 || !wr.Canceled || wr.Err() != rpctypes.ErrCompacted || len(wr.Events) != 0 {
		return fmt.Errorf("watch from compacted revision %d: compact revision %d canceled %v err %v, %d events; "+
			"want %d, true, %v, none", r1, wr.CompactRevision, wr.Canceled, wr.Err(), len(wr.Events), r2,
			rpctypes.ErrCompacted)
	}
	if err := waitWatchClosed(ch, e.callTimeout); err != nil {
		return fmt.Errorf("watch canceled by compaction: %v", err)
	}
	_, err = e.del(k)
	return err
}

// isErr compares a wrapped error's text with an rpctypes error (e.get adds context to the text).
func isErr(err, want error) bool {
	return err != nil && (err == want || strings.HasSuffix(err.Error(), ": "+want.Error()))
}

// checkErrors: the server's error values, which clientv3 recognises by their text. Every case runs; the
// failure lists all that differ.
func checkErrors(e *env) error {
	unknown := clientv3.LeaseID(time.Now().UnixNano()&0x3fffffffffffffff | 1)
	k := e.key("errors/k")
	var problems []string
	expect := func(what string, err, want error) {
		if err != want {
			problems = append(problems, fmt.Sprintf("%s: %v, want %v", what, err, want))
		}
	}
	call := func(f func(ctx context.Context) error) error {
		ctx, cancel := e.ctx()
		defer cancel()
		return f(ctx)
	}

	expect("keep alive once of an unknown lease", call(func(ctx context.Context) error {
		_, err := e.cli.KeepAliveOnce(ctx, unknown)
		return err
	}), rpctypes.ErrLeaseNotFound)
	expect("revoke of an unknown lease", call(func(ctx context.Context) error {
		_, err := e.cli.Revoke(ctx, unknown)
		return err
	}), rpctypes.ErrLeaseNotFound)
	expect("put with an unknown lease", call(func(ctx context.Context) error {
		_, err := e.cli.Put(ctx, k, "v", clientv3.WithLease(unknown))
		return err
	}), rpctypes.ErrLeaseNotFound)
	// etcd answers TimeToLive of an unknown lease with TTL -1, not an error.
	if err := call(func(ctx context.Context) error {
		resp, err := e.cli.TimeToLive(ctx, unknown)
		if err == nil && (resp.TTL != -1 || resp.ID != unknown) {
			err = fmt.Errorf("id %x ttl %d", resp.ID, resp.TTL)
		}
		return err
	}); err != nil {
		problems = append(problems, fmt.Sprintf("time to live of an unknown lease: %v, want TTL -1", err))
	}
	expect("lease ttl over 9000000000 s", call(func(ctx context.Context) error {
		_, err := e.cli.Grant(ctx, 9000000001)
		return err
	}), rpctypes.ErrLeaseTTLTooLarge)

	rev, err := e.currentRevision()
	if err != nil {
		return err
	}
	expect("get at a future revision", call(func(ctx context.Context) error {
		_, err := e.cli.Get(ctx, k, clientv3.WithRev(rev+1000))
		return err
	}), rpctypes.ErrFutureRev)
	expect("put of an empty key", call(func(ctx context.Context) error {
		_, err := e.cli.Put(ctx, "", "v")
		return err
	}), rpctypes.ErrEmptyKey)
	expect("txn putting one key twice", call(func(ctx context.Context) error {
		_, err := e.cli.Txn(ctx).Then(clientv3.OpPut(k, "a"), clientv3.OpPut(k, "b")).Commit()
		return err
	}), rpctypes.ErrDuplicateKey)
	expect("txn of 129 operations", call(func(ctx context.Context) error {
		ops := make([]clientv3.Op, 129)
		for i := range ops {
			ops[i] = clientv3.OpGet(fmt.Sprintf("%s%d", k, i))
		}
		_, err := e.cli.Txn(ctx).Then(ops...).Commit()
		return err
	}), rpctypes.ErrTooManyOps)
	expect("put of 1.6 MB (over --max-request-bytes 1.5 MiB)", call(func(ctx context.Context) error {
		_, err := e.cli.Put(ctx, k, strings.Repeat("x", 1600*1000))
		return err
	}), rpctypes.ErrRequestTooLarge)
	expect("remove of an unknown member", call(func(ctx context.Context) error {
		_, err := e.cli.MemberRemove(ctx, uint64(unknown))
		return err
	}), rpctypes.ErrMemberNotFound)

	if err := e.expectAbsent(k); err != nil {
		problems = append(problems, "after the failed writes: "+err.Error())
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}
