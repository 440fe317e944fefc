package main

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/clientv3/concurrency"
)

// blockedFor is how long a waiter must stay blocked to count as blocked.
const blockedFor = 700 * time.Millisecond

// newSessions opens n sessions (each a 10 s lease kept alive) and returns a function that closes them.
func (e *env) newSessions(n int) ([]*concurrency.Session, func(), error) {
	var sessions []*concurrency.Session
	closeAll := func() {
		for _, s := range sessions {
			s.Close()
		}
	}
	for i := 0; i < n; i++ {
		// Grant the lease here, within the call timeout; NewSession then only starts its keep-alives.
		g, err := e.grant(10)
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("session %d: %v", i+1, err)
		}
		s, err := concurrency.NewSession(e.cli, concurrency.WithTTL(10), concurrency.WithLease(g.ID))
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("session %d: %v", i+1, err)
		}
		sessions = append(sessions, s)
	}
	return sessions, closeAll, nil
}

// inBackground runs f in a goroutine and returns the channel that gets its result.
func inBackground(timeout time.Duration, f func(ctx context.Context) error) <-chan error {
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		done <- f(ctx)
	}()
	return done
}

// stillBlocked fails if the background call finished within blockedFor.
func stillBlocked(done <-chan error, what string) error {
	select {
	case err := <-done:
		return fmt.Errorf("%s returned (%v) while it should block", what, err)
	case <-time.After(blockedFor):
		return nil
	}
}

// unblocked waits for the background call to finish without error.
func unblocked(done <-chan error, what string, timeout time.Duration) error {
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("%s: %v", what, err)
		}
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("%s still blocked after %v", what, timeout)
	}
}

// owns reports whether the mutex's IsOwner comparison holds, as a txn sees it. The txn carries a get: etcd
// serves a txn with compares and no operations as a serializable read, which a lagging member may answer.
func (e *env) owns(m *concurrency.Mutex) (bool, error) {
	get := clientv3.OpGet(m.Key())
	resp, err := e.commit(func(t clientv3.Txn) clientv3.Txn { return t.If(m.IsOwner()).Then(get).Else(get) })
	if err != nil {
		return false, err
	}
	return resp.Succeeded, nil
}

// checkMutex: two sessions; the second Lock blocks until the first Unlock; IsOwner follows the lock; a holder
// whose session closes releases the lock to the next waiter.
func checkMutex(e *env) error {
	sessions, closeAll, err := e.newSessions(3)
	if err != nil {
		return err
	}
	defer closeAll()
	pfx := e.key("mutex/")
	m1, m2, m3 := concurrency.NewMutex(sessions[0], pfx), concurrency.NewMutex(sessions[1], pfx),
		concurrency.NewMutex(sessions[2], pfx)
	ctx, cancel := e.ctx()
	err = m1.Lock(ctx)
	cancel()
	if err != nil {
		return fmt.Errorf("first lock: %v", err)
	}
	if owner, err := e.owns(m1); err != nil || !owner {
		held, _ := e.get(pfx, clientv3.WithPrefix())
		return fmt.Errorf("first holder: is owner %v (%v); its key %s, lock revision %d; keys [%s]", owner, err,
			m1.Key(), m1.Header().Revision, describeKVs(held.Kvs))
	}
	second := inBackground(30*time.Second, m2.Lock)
	if err := stillBlocked(second, "second lock"); err != nil {
		return err
	}
	ctx, cancel = e.ctx()
	err = m1.Unlock(ctx)
	cancel()
	if err != nil {
		return fmt.Errorf("first unlock: %v", err)
	}
	if err := unblocked(second, "second lock after unlock", e.callTimeout); err != nil {
		return err
	}
	if owner, err := e.owns(m2); err != nil || !owner {
		return fmt.Errorf("second holder: is owner %v (%v)", owner, err)
	}
	if owner, err := e.owns(m1); err != nil || owner {
		return fmt.Errorf("first holder after unlock: is owner %v (%v)", owner, err)
	}

	third := inBackground(30*time.Second, m3.Lock)
	if err := stillBlocked(third, "third lock"); err != nil {
		return err
	}
	if err := sessions[1].Close(); err != nil {
		return fmt.Errorf("closing the holder's session: %v", err)
	}
	if err := unblocked(third, "third lock after the holder's session closed", e.callTimeout); err != nil {
		return err
	}
	ctx, cancel = e.ctx()
	err = m3.Unlock(ctx)
	cancel()
	if err != nil {
		return fmt.Errorf("third unlock: %v", err)
	}
	left, err := e.get(pfx, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return err
	}
	if left.Count != 0 {
		return fmt.Errorf("%d lock keys left after every holder unlocked", left.Count)
	}
	return nil
}
