package main

import (
	"bytes"
	"fmt"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/mvcc/mvccpb"
)

// checkKV: put, get (by prefix, range, revision, limit, sort, count, keys only, serializable), prev-kv, delete,
// and the revisions each write creates.
func checkKV(e *env) error {
	a, b, pfx := e.key("kv/a"), e.key("kv/b"), e.key("kv/")
	p1, err := e.put(a, "1")
	if err != nil {
		return err
	}
	r1 := p1.Header.Revision
	p2, err := e.put(b, "2")
	if err != nil {
		return err
	}
	if p2.Header.Revision != r1+1 {
		return fmt.Errorf("second put: revision %d, want %d", p2.Header.Revision, r1+1)
	}
	if p2.PrevKv != nil {
		return fmt.Errorf("put without prev-kv returned prev %v", p2.PrevKv)
	}
	p3, err := e.put(a, "3", clientv3.WithPrevKV())
	if err != nil {
		return err
	}
	r3 := p3.Header.Revision
	if r3 != r1+2 {
		return fmt.Errorf("third put: revision %d, want %d", r3, r1+2)
	}
	if p3.PrevKv == nil || string(p3.PrevKv.Value) != "1" || p3.PrevKv.ModRevision != r1 {
		return fmt.Errorf("put with prev-kv: prev %v, want value 1 at mod revision %d", p3.PrevKv, r1)
	}

	kv, err := e.getValue(a, "3")
	if err != nil {
		return err
	}
	if kv.CreateRevision != r1 || kv.ModRevision != r3 || kv.Version != 2 || kv.Lease != 0 {
		return fmt.Errorf("get %s: %s, want create %d mod %d version 2", a, describeKVs([]*mvccpb.KeyValue{kv}),
			r1, r3)
	}
	if err := checkKVReads(e, a, b, pfx, r1, r3); err != nil {
		return err
	}
	return checkKVDeletes(e, a, b, pfx, r3)
}

// checkKVReads covers the read options on {a: 3, b: 2} written at r1 (a: 1), r1+1 (b) and r3 (a: 3).
func checkKVReads(e *env, a, b, pfx string, r1, r3 int64) error {
	all, err := e.get(pfx, clientv3.WithPrefix())
	if err != nil {
		return err
	}
	if all.Count != 2 || len(all.Kvs) != 2 || string(all.Kvs[0].Key) != a || string(all.Kvs[1].Key) != b ||
		string(all.Kvs[0].Value) != "3" || string(all.Kvs[1].Value) != "2" || all.More {
		return fmt.Errorf("get prefix %s: count %d more %v [%s], want %s=3 %s=2", pfx, all.Count, all.More,
			describeKVs(all.Kvs), a, b)
	}
	if all.Header.Revision != r3 {
		return fmt.Errorf("get prefix: header revision %d, want %d", all.Header.Revision, r3)
	}
	ranged, err := e.get(a, clientv3.WithRange(e.key("kv/c")))
	if err != nil {
		return err
	}
	if len(ranged.Kvs) != 2 {
		return fmt.Errorf("get range [a, c): [%s], want a and b", describeKVs(ranged.Kvs))
	}
	if _, err := e.getValue(a, "1", clientv3.WithRev(r1)); err != nil {
		return fmt.Errorf("at revision %d: %v", r1, err)
	}
	old, err := e.get(pfx, clientv3.WithPrefix(), clientv3.WithRev(r1))
	if err != nil {
		return err
	}
	if len(old.Kvs) != 1 || old.Header.Revision != r3 {
		return fmt.Errorf("get prefix at revision %d: [%s] header %d, want only a=1 and header %d", r1,
			describeKVs(old.Kvs), old.Header.Revision, r3)
	}
	limited, err := e.get(pfx, clientv3.WithPrefix(), clientv3.WithLimit(1))
	if err != nil {
		return err
	}
	if len(limited.Kvs) != 1 || !limited.More || limited.Count != 2 || string(limited.Kvs[0].Key) != a {
		return fmt.Errorf("get prefix limit 1: [%s] more %v count %d, want a, more, count 2",
			describeKVs(limited.Kvs), limited.More, limited.Count)
	}
	sorted, err := e.get(pfx, clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend))
	if err != nil {
		return err
	}
	if len(sorted.Kvs) != 2 || string(sorted.Kvs[0].Key) != b {
		return fmt.Errorf("get prefix sorted descending: [%s], want b then a", describeKVs(sorted.Kvs))
	}
	byMod, err := e.get(pfx, clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByModRevision, clientv3.SortAscend))
	if err != nil {
		return err
	}
	if len(byMod.Kvs) != 2 || string(byMod.Kvs[0].Key) != b {
		return fmt.Errorf("get prefix sorted by mod revision: [%s], want b then a", describeKVs(byMod.Kvs))
	}
	counted, err := e.get(pfx, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return err
	}
	if counted.Count != 2 || len(counted.Kvs) != 0 {
		return fmt.Errorf("count only: count %d, %d kvs, want 2 and none", counted.Count, len(counted.Kvs))
	}
	keys, err := e.get(pfx, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return err
	}
	if len(keys.Kvs) != 2 || len(keys.Kvs[0].Value) != 0 || keys.Kvs[0].ModRevision != r3 {
		return fmt.Errorf("keys only: [%s], want 2 keys without values", describeKVs(keys.Kvs))
	}
	// A serializable read may be served by a member that has not applied the last write yet: wait a little.
	deadline := time.Now().Add(e.callTimeout)
	for {
		resp, err := e.get(a, clientv3.WithSerializable())
		if err != nil {
			return err
		}
		if len(resp.Kvs) == 1 && string(resp.Kvs[0].Value) == "3" {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("serializable get: [%s], want a=3", describeKVs(resp.Kvs))
		}
		time.Sleep(50 * time.Millisecond)
	}
	return e.expectAbsent(e.key("kv/missing"))
}

// checkKVDeletes deletes a (with prev-kv) then the prefix, and checks that history stays readable.
func checkKVDeletes(e *env, a, b, pfx string, r3 int64) error {
	d1, err := e.del(a, clientv3.WithPrevKV())
	if err != nil {
		return err
	}
	if d1.Deleted != 1 || len(d1.PrevKvs) != 1 || string(d1.PrevKvs[0].Value) != "3" {
		return fmt.Errorf("delete with prev-kv: deleted %d prev [%s], want 1 and a=3", d1.Deleted,
			describeKVs(d1.PrevKvs))
	}
	if d1.Header.Revision != r3+1 {
		return fmt.Errorf("delete: revision %d, want %d", d1.Header.Revision, r3+1)
	}
	if err := e.expectAbsent(a); err != nil {
		return err
	}
	if _, err := e.getValue(a, "3", clientv3.WithRev(r3)); err != nil {
		return fmt.Errorf("deleted key at revision %d: %v", r3, err)
	}
	d2, err := e.del(pfx, clientv3.WithPrefix())
	if err != nil {
		return err
	}
	if d2.Deleted != 1 || len(d2.PrevKvs) != 0 || d2.Header.Revision != r3+2 {
		return fmt.Errorf("delete prefix: deleted %d prev %d revision %d, want 1, none, %d", d2.Deleted,
			len(d2.PrevKvs), d2.Header.Revision, r3+2)
	}
	d3, err := e.del(b)
	if err != nil {
		return err
	}
	if d3.Deleted != 0 || d3.Header.Revision != r3+2 {
		return fmt.Errorf("delete of a missing key: deleted %d revision %d, want 0 and %d (no new revision)",
			d3.Deleted, d3.Header.Revision, r3+2)
	}
	rest, err := e.get(pfx, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return err
	}
	if rest.Count != 0 {
		return fmt.Errorf("after delete prefix: count %d, want 0", rest.Count)
	}
	return nil
}

// checkKVLarge: a 1 MiB value round-trips (HTTP/2 flow control and DATA frame splitting), and a prefix get
// returns 300 keys of 1 KiB written by three 100-operation transactions.
func checkKVLarge(e *env) error {
	big := bytes.Repeat([]byte("0123456789abcdef"), 64*1024)
	key := e.key("large/big")
	if _, err := e.put(key, string(big)); err != nil {
		return err
	}
	resp, err := e.get(key)
	if err != nil {
		return err
	}
	if len(resp.Kvs) != 1 || !bytes.Equal(resp.Kvs[0].Value, big) {
		return fmt.Errorf("1 MiB value did not round-trip: [%s]", describeKVs(resp.Kvs))
	}
	if _, err := e.del(key); err != nil {
		return err
	}
	value := string(bytes.Repeat([]byte("v"), 1024))
	pfx := e.key("large/many/")
	for batch := 0; batch < 3; batch++ {
		ops := make([]clientv3.Op, 100)
		for i := range ops {
			ops[i] = clientv3.OpPut(fmt.Sprintf("%s%03d", pfx, batch*100+i), value)
		}
		ctx, cancel := e.ctx()
		txn, err := e.cli.Txn(ctx).Then(ops...).Commit()
		cancel()
		if err != nil {
			return fmt.Errorf("txn of 100 puts: %v", err)
		}
		if !txn.Succeeded || len(txn.Responses) != 100 {
			return fmt.Errorf("txn of 100 puts: succeeded %v, %d responses", txn.Succeeded, len(txn.Responses))
		}
	}
	many, err := e.get(pfx, clientv3.WithPrefix())
	if err != nil {
		return err
	}
	if len(many.Kvs) != 300 || many.Count != 300 {
		return fmt.Errorf("prefix get: %d kvs, count %d, want 300", len(many.Kvs), many.Count)
	}
	for i, kv := range many.Kvs {
		if string(kv.Key) != fmt.Sprintf("%s%03d", pfx, i) || len(kv.Value) != 1024 {
			return fmt.Errorf("prefix get: kv %d is %s (%d bytes)", i, kv.Key, len(kv.Value))
		}
	}
	gone, err := e.del(pfx, clientv3.WithPrefix())
	if err != nil {
		return err
	}
	if gone.Deleted != 300 {
		return fmt.Errorf("delete prefix: deleted %d, want 300", gone.Deleted)
	}
	return nil
}
