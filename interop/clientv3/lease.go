package main

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/mvcc/mvccpb"
)

// grant creates a lease within the call timeout.
func (e *env) grant(ttl int64) (*clientv3.LeaseGrantResponse, error) {
	ctx, cancel := e.ctx()
	defer cancel()
	resp, err := e.cli.Grant(ctx, ttl)
	if err != nil {
		return nil, fmt.Errorf("grant %ds: %v", ttl, err)
	}
	if resp.ID == 0 || resp.TTL < ttl {
		return nil, fmt.Errorf("grant %ds: id %x ttl %d", ttl, resp.ID, resp.TTL)
	}
	return resp, nil
}

// revoke ends a lease within the call timeout.
func (e *env) revoke(id clientv3.LeaseID) error {
	ctx, cancel := e.ctx()
	defer cancel()
	if _, err := e.cli.Revoke(ctx, id); err != nil {
		return fmt.Errorf("revoke %x: %v", id, err)
	}
	return nil
}

// expectListed waits until Leases lists id (or stops listing it): the member that answers may lag a little
// behind the one that granted or revoked the lease.
func (e *env) expectListed(id clientv3.LeaseID, want bool) error {
	deadline := time.Now().Add(e.callTimeout)
	for {
		ctx, cancel := e.ctx()
		resp, err := e.cli.Leases(ctx)
		cancel()
		if err != nil {
			return fmt.Errorf("leases: %v", err)
		}
		listed := false
		for _, l := range resp.Leases {
			listed = listed || l.ID == id
		}
		if listed == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("leases: lists %x is %v, want %v (%d leases)", id, listed, want, len(resp.Leases))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkLease: grant, put with a lease, TimeToLive with keys, Leases, KeepAliveOnce, a KeepAlive channel that
// gets several responses and closes once its lease is revoked, and Revoke deleting the lease's key.
func checkLease(e *env) error {
	g, err := e.grant(30)
	if err != nil {
		return err
	}
	k := e.key("lease/k")
	if _, err := e.put(k, "v", clientv3.WithLease(g.ID)); err != nil {
		return err
	}
	kv, err := e.getValue(k, "v")
	if err != nil {
		return err
	}
	if kv.Lease != int64(g.ID) {
		return fmt.Errorf("key's lease is %x, want %x", kv.Lease, g.ID)
	}
	ctx, cancel := e.ctx()
	ttl, err := e.cli.TimeToLive(ctx, g.ID, clientv3.WithAttachedKeys())
	cancel()
	if err != nil {
		return fmt.Errorf("time to live: %v", err)
	}
	if ttl.ID != g.ID || ttl.TTL <= 0 || ttl.TTL > 30 || ttl.GrantedTTL != 30 || len(ttl.Keys) != 1 ||
		string(ttl.Keys[0]) != k {
		return fmt.Errorf("time to live: id %x ttl %d granted %d keys %q; want %x, 1..30, 30, [%s]", ttl.ID,
			ttl.TTL, ttl.GrantedTTL, ttl.Keys, g.ID, k)
	}
	if err := e.expectListed(g.ID, true); err != nil {
		return err
	}
	ctx, cancel = e.ctx()
	once, err := e.cli.KeepAliveOnce(ctx, g.ID)
	cancel()
	if err != nil || once.ID != g.ID || once.TTL != 30 {
		return fmt.Errorf("keep alive once: %v %v, want ttl 30", once, err)
	}
	if err := checkKeepAlive(e); err != nil {
		return err
	}
	if err := e.revoke(g.ID); err != nil {
		return err
	}
	if err := e.expectAbsent(k); err != nil {
		return fmt.Errorf("after revoke: %v", err)
	}
	if err := e.expectListed(g.ID, false); err != nil {
		return fmt.Errorf("after revoke: %v", err)
	}
	return nil
}

// checkKeepAlive reads three responses from KeepAlive on a 3 s lease (one per second), then revokes the lease
// and expects the channel to close (the next keep-alive answer has TTL 0).
func checkKeepAlive(e *env) error {
	g, err := e.grant(3)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ch, err := e.cli.KeepAlive(ctx, g.ID)
	if err != nil {
		return fmt.Errorf("keep alive: %v", err)
	}
	for i := 0; i < 3; i++ {
		select {
		case resp, ok := <-ch:
			if !ok {
				return fmt.Errorf("keep alive channel closed after %d responses", i)
			}
			if resp.ID != g.ID || resp.TTL != g.TTL {
				return fmt.Errorf("keep alive response %d: id %x ttl %d, want %x %d", i, resp.ID, resp.TTL, g.ID, g.TTL)
			}
		case <-time.After(e.callTimeout):
			return fmt.Errorf("keep alive: %d responses, none more within %v", i, e.callTimeout)
		}
	}
	if err := e.revoke(g.ID); err != nil {
		return err
	}
	deadline := time.After(e.callTimeout + 2*time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return nil
			}
		case <-deadline:
			return fmt.Errorf("keep alive channel still open after its lease was revoked")
		}
	}
}

// checkLeaseExpiry: a 2 s lease without keep-alives expires; a watch sees its key deleted, Get finds nothing,
// TimeToLive reports TTL -1 and Leases no longer lists it.
func checkLeaseExpiry(e *env) error {
	g, err := e.grant(2)
	if err != nil {
		return err
	}
	k := e.key("expiry/k")
	p, err := e.put(k, "v", clientv3.WithLease(g.ID))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := e.cli.Watch(ctx, k, clientv3.WithRev(p.Header.Revision+1))
	events, err := collectEvents(ch, 1, time.Duration(g.TTL)*time.Second+10*time.Second)
	if err != nil {
		return fmt.Errorf("waiting for the lease to expire: %v", err)
	}
	if ev := events[0]; ev.Type != mvccpb.DELETE || string(ev.Kv.Key) != k {
		return fmt.Errorf("after expiry: event %s, want DELETE %s", describeEvent(ev), k)
	}
	if err := e.expectAbsent(k); err != nil {
		return err
	}
	ctx2, cancel2 := e.ctx()
	ttl, err := e.cli.TimeToLive(ctx2, g.ID)
	cancel2()
	if err != nil || ttl.TTL != -1 {
		return fmt.Errorf("time to live of the expired lease: %v %v, want TTL -1", ttl, err)
	}
	if err := e.expectListed(g.ID, false); err != nil {
		return fmt.Errorf("after expiry: %v", err)
	}
	return nil
}
