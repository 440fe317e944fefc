package main

import (
	"fmt"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/mvcc/mvccpb"
)

// commit runs one transaction within the call timeout.
func (e *env) commit(txn func(clientv3.Txn) clientv3.Txn) (*clientv3.TxnResponse, error) {
	ctx, cancel := e.ctx()
	defer cancel()
	resp, err := txn(e.cli.Txn(ctx)).Commit()
	if err != nil {
		return nil, fmt.Errorf("txn: %v", err)
	}
	return resp, nil
}

// rangeKVs returns the kvs of a txn's i-th response if it is a range, else none.
func rangeKVs(resp *clientv3.TxnResponse, i int) []*mvccpb.KeyValue {
	if i >= len(resp.Responses) {
		return nil
	}
	return resp.Responses[i].GetResponseRange().GetKvs()
}

// checkTxn: compare-and-swap on value, mod revision (Kubernetes' GuaranteedUpdate), create revision
// (Kubernetes' Create), version; both branches; several compares; a nested transaction.
func checkTxn(e *env) error {
	k, n := e.key("txn/k"), e.key("txn/new")
	p, err := e.put(k, "v1")
	if err != nil {
		return err
	}
	swap := func(t clientv3.Txn) clientv3.Txn {
		return t.If(clientv3.Compare(clientv3.Value(k), "=", "v1")).
			Then(clientv3.OpPut(k, "v2", clientv3.WithPrevKV()), clientv3.OpGet(k)).
			Else(clientv3.OpGet(k))
	}
	won, err := e.commit(swap)
	if err != nil {
		return err
	}
	if !won.Succeeded || len(won.Responses) != 2 || won.Header.Revision != p.Header.Revision+1 {
		return fmt.Errorf("value CAS: succeeded %v, %d responses, revision %d; want true, 2, %d", won.Succeeded,
			len(won.Responses), won.Header.Revision, p.Header.Revision+1)
	}
	prev := won.Responses[0].GetResponsePut().GetPrevKv()
	if prev == nil || string(prev.Value) != "v1" {
		return fmt.Errorf("value CAS: put's prev-kv %v, want v1", prev)
	}
	if kvs := won.Responses[1].GetResponseRange().GetKvs(); len(kvs) != 1 || string(kvs[0].Value) != "v2" {
		return fmt.Errorf("value CAS: get inside the txn saw [%s], want v2", describeKVs(kvs))
	}
	lost, err := e.commit(swap)
	if err != nil {
		return err
	}
	if lost.Succeeded || len(lost.Responses) != 1 || lost.Header.Revision != won.Header.Revision {
		return fmt.Errorf("value CAS again: succeeded %v, %d responses, revision %d; want false, 1, %d",
			lost.Succeeded, len(lost.Responses), lost.Header.Revision, won.Header.Revision)
	}
	if kvs := lost.Responses[0].GetResponseRange().GetKvs(); len(kvs) != 1 || string(kvs[0].Value) != "v2" {
		return fmt.Errorf("value CAS again: else branch saw [%s], want v2", describeKVs(kvs))
	}

	modRev := won.Header.Revision
	update := func(t clientv3.Txn) clientv3.Txn {
		return t.If(clientv3.Compare(clientv3.ModRevision(k), "=", modRev)).
			Then(clientv3.OpPut(k, "v3")).
			Else(clientv3.OpGet(k))
	}
	if resp, err := e.commit(update); err != nil || !resp.Succeeded {
		return fmt.Errorf("mod revision CAS: %v %v, want success", err, resp)
	}
	resp, err := e.commit(update)
	if err != nil {
		return err
	}
	if kvs := rangeKVs(resp, 0); resp.Succeeded || len(kvs) != 1 || kvs[0].ModRevision != modRev+1 {
		return fmt.Errorf("stale mod revision CAS: %v, want failure showing mod revision %d", resp, modRev+1)
	}

	create := func(t clientv3.Txn) clientv3.Txn {
		return t.If(clientv3.Compare(clientv3.CreateRevision(n), "=", 0)).Then(clientv3.OpPut(n, "x"))
	}
	if resp, err := e.commit(create); err != nil || !resp.Succeeded {
		return fmt.Errorf("create if absent: %v %v, want success", err, resp)
	}
	if resp, err := e.commit(create); err != nil || resp.Succeeded {
		return fmt.Errorf("create if absent, again: %v %v, want failure", err, resp)
	}
	return checkTxnCompares(e, k, n)
}

// checkTxnCompares: several compares that must all hold, the comparison operators, a delete inside a txn,
// a txn without compares, and a nested txn. k holds v3 at version 3, n holds x.
func checkTxnCompares(e *env, k, n string) error {
	failing, err := e.commit(func(t clientv3.Txn) clientv3.Txn {
		return t.If(clientv3.Compare(clientv3.Version(k), "=", 3), clientv3.Compare(clientv3.Value(n), "=", "y")).
			Then(clientv3.OpDelete(n))
	})
	if err != nil {
		return err
	}
	if failing.Succeeded || len(failing.Responses) != 0 {
		return fmt.Errorf("two compares, one false: succeeded %v, %d responses", failing.Succeeded,
			len(failing.Responses))
	}
	both, err := e.commit(func(t clientv3.Txn) clientv3.Txn {
		return t.If(clientv3.Compare(clientv3.Version(k), "=", 3), clientv3.Compare(clientv3.Value(n), "=", "x"),
			clientv3.Compare(clientv3.Value(k), "!=", "zz"), clientv3.Compare(clientv3.ModRevision(k), "<", 1<<40),
			clientv3.Compare(clientv3.CreateRevision(k), ">", 0)).
			Then(clientv3.OpDelete(n, clientv3.WithPrevKV()))
	})
	if err != nil {
		return err
	}
	if !both.Succeeded || len(both.Responses) != 1 {
		return fmt.Errorf("five true compares: succeeded %v, %d responses", both.Succeeded, len(both.Responses))
	}
	deleted := both.Responses[0].GetResponseDeleteRange()
	if deleted.GetDeleted() != 1 || len(deleted.GetPrevKvs()) != 1 || string(deleted.PrevKvs[0].Value) != "x" {
		return fmt.Errorf("delete inside txn: %v, want 1 deleted with prev x", deleted)
	}
	plain, err := e.commit(func(t clientv3.Txn) clientv3.Txn { return t.Then(clientv3.OpGet(k)) })
	if err != nil {
		return err
	}
	if !plain.Succeeded || len(plain.Responses) != 1 {
		return fmt.Errorf("txn without compares: %v, want success", plain)
	}
	nested, err := e.commit(func(t clientv3.Txn) clientv3.Txn {
		inner := clientv3.OpTxn([]clientv3.Cmp{clientv3.Compare(clientv3.Value(k), "=", "v3")},
			[]clientv3.Op{clientv3.OpPut(n, "nested")}, nil)
		return t.Then(inner)
	})
	if err != nil {
		return err
	}
	if !nested.Succeeded || len(nested.Responses) != 1 || !nested.Responses[0].GetResponseTxn().GetSucceeded() {
		return fmt.Errorf("nested txn: %v, want both levels to succeed", nested)
	}
	if _, err := e.getValue(n, "nested"); err != nil {
		return err
	}
	_, err = e.del(e.key("txn/"), clientv3.WithPrefix())
	return err
}
