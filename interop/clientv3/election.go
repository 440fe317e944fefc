package main

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/clientv3/concurrency"
)

// leaderValue reads the election's leader value ("" and ErrElectionNoLeader when there is none).
func (e *env) leaderValue(el *concurrency.Election) (string, error) {
	ctx, cancel := e.ctx()
	defer cancel()
	resp, err := el.Leader(ctx)
	if err != nil {
		return "", err
	}
	if len(resp.Kvs) != 1 {
		return "", fmt.Errorf("leader: [%s], want one key", describeKVs(resp.Kvs))
	}
	return string(resp.Kvs[0].Value), nil
}

// expectLeader fails unless the election's leader holds want.
func (e *env) expectLeader(el *concurrency.Election, want string) error {
	got, err := e.leaderValue(el)
	if err != nil || got != want {
		return fmt.Errorf("leader: %q (%v), want %q", got, err, want)
	}
	return nil
}

// observeUntil reads Observe's channel until the leader value is want; values seen before must be in allowed.
func observeUntil(ch <-chan clientv3.GetResponse, want string, allowed []string, timeout time.Duration) error {
	deadline := time.After(timeout)
	for {
		select {
		case resp, ok := <-ch:
			if !ok {
				return fmt.Errorf("observe channel closed while waiting for %q", want)
			}
			if len(resp.Kvs) != 1 {
				return fmt.Errorf("observe: [%s], want one leader key", describeKVs(resp.Kvs))
			}
			got := string(resp.Kvs[0].Value)
			if got == want {
				return nil
			}
			if !contains(allowed, got) {
				return fmt.Errorf("observe: leader %q while waiting for %q", got, want)
			}
		case <-deadline:
			return fmt.Errorf("observe: no leader %q within %v", want, timeout)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkElection: no leader at first; Campaign makes one that Leader and Observe report; Proclaim changes its
// value; a second candidate blocks until the first Resigns and then leads; after its Resign there is none.
func checkElection(e *env) error {
	sessions, closeAll, err := e.newSessions(3)
	if err != nil {
		return err
	}
	defer closeAll()
	pfx := e.key("election/")
	first, second := concurrency.NewElection(sessions[0], pfx), concurrency.NewElection(sessions[1], pfx)
	observer := concurrency.NewElection(sessions[2], pfx)
	if _, err := e.leaderValue(observer); err != concurrency.ErrElectionNoLeader {
		return fmt.Errorf("leader before any campaign: %v, want %v", err, concurrency.ErrElectionNoLeader)
	}
	observeCtx, stopObserving := context.WithCancel(context.Background())
	defer stopObserving()
	observed := observer.Observe(observeCtx)

	ctx, cancel := e.ctx()
	err = first.Campaign(ctx, "one")
	cancel()
	if err != nil {
		return fmt.Errorf("first campaign: %v", err)
	}
	if err := e.expectLeader(observer, "one"); err != nil {
		return err
	}
	if resp, err := e.get(first.Key()); err != nil || len(resp.Kvs) != 1 ||
		resp.Kvs[0].Lease != int64(sessions[0].Lease()) {
		return fmt.Errorf("leader key %s: %v (%v), want it under the first session's lease", first.Key(), resp, err)
	}
	if err := observeUntil(observed, "one", nil, e.callTimeout); err != nil {
		return err
	}
	ctx, cancel = e.ctx()
	err = first.Proclaim(ctx, "one-again")
	cancel()
	if err != nil {
		return fmt.Errorf("proclaim: %v", err)
	}
	if err := e.expectLeader(second, "one-again"); err != nil {
		return err
	}
	if err := observeUntil(observed, "one-again", nil, e.callTimeout); err != nil {
		return err
	}

	campaign := inBackground(30*time.Second, func(ctx context.Context) error { return second.Campaign(ctx, "two") })
	if err := stillBlocked(campaign, "second campaign"); err != nil {
		return err
	}
	ctx, cancel = e.ctx()
	err = first.Resign(ctx)
	cancel()
	if err != nil {
		return fmt.Errorf("resign: %v", err)
	}
	if err := unblocked(campaign, "second campaign after resign", e.callTimeout); err != nil {
		return err
	}
	if err := e.expectLeader(observer, "two"); err != nil {
		return err
	}
	if err := observeUntil(observed, "two", []string{"one-again"}, e.callTimeout); err != nil {
		return err
	}
	ctx, cancel = e.ctx()
	err = second.Resign(ctx)
	cancel()
	if err != nil {
		return fmt.Errorf("second resign: %v", err)
	}
	if _, err := e.leaderValue(observer); err != concurrency.ErrElectionNoLeader {
		return fmt.Errorf("leader after every resign: %v, want %v", err, concurrency.ErrElectionNoLeader)
	}
	return nil
}
