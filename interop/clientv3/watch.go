package main

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/mvcc/mvccpb"
)

// checkWatch: a prefix watch (with prev-kv) and a one-key watch on the same gRPC stream see puts and deletes in
// order with their revisions; a watch from a past revision replays history; a canceled watch closes its
// channel while the other watches on the stream go on.
func checkWatch(e *env) error {
	pfx := e.key("watch/")
	a, b := pfx+"a", pfx+"b"
	base, cancelAll := context.WithCancel(context.Background())
	defer cancelAll()

	prefixCh := e.cli.Watch(base, pfx, clientv3.WithPrefix(), clientv3.WithPrevKV(), clientv3.WithCreatedNotify())
	if err := expectCreated(prefixCh, e.callTimeout); err != nil {
		return fmt.Errorf("prefix watch: %v", err)
	}
	keyCtx, cancelKey := context.WithCancel(base)
	defer cancelKey()
	keyCh := e.cli.Watch(keyCtx, b, clientv3.WithCreatedNotify())
	if err := expectCreated(keyCh, e.callTimeout); err != nil {
		return fmt.Errorf("one-key watch: %v", err)
	}

	want, err := writeWatchHistory(e, a, b)
	if err != nil {
		return err
	}
	events, err := collectEvents(prefixCh, len(want), e.callTimeout)
	if err != nil {
		return fmt.Errorf("prefix watch: %v", err)
	}
	if err := matchEvents(events, want, true); err != nil {
		return fmt.Errorf("prefix watch: %v", err)
	}
	if ev := events[2]; ev.Kv.CreateRevision != want[0].revision || ev.Kv.Version != 2 || !ev.IsModify() {
		return fmt.Errorf("prefix watch: second put of a is %s create %d version %d, want create %d version 2",
			describeEvent(ev), ev.Kv.CreateRevision, ev.Kv.Version, want[0].revision)
	}
	keyEvents, err := collectEvents(keyCh, 1, e.callTimeout)
	if err != nil {
		return fmt.Errorf("one-key watch: %v", err)
	}
	if err := matchEvents(keyEvents, want[1:2], false); err != nil {
		return fmt.Errorf("one-key watch: %v", err)
	}

	histCtx, cancelHist := context.WithCancel(base)
	histCh := e.cli.Watch(histCtx, pfx, clientv3.WithPrefix(), clientv3.WithRev(want[0].revision))
	history, err := collectEvents(histCh, len(want), e.callTimeout)
	if err != nil {
		cancelHist()
		return fmt.Errorf("watch from revision %d: %v", want[0].revision, err)
	}
	if err := matchEvents(history, want, false); err != nil {
		cancelHist()
		return fmt.Errorf("watch from revision %d: %v", want[0].revision, err)
	}
	cancelHist()
	if err := waitWatchClosed(histCh, e.callTimeout); err != nil {
		return fmt.Errorf("canceled history watch: %v", err)
	}
	cancelKey()
	if err := waitWatchClosed(keyCh, e.callTimeout); err != nil {
		return fmt.Errorf("canceled one-key watch: %v", err)
	}

	// The prefix watch, alone on the stream now, still sees writes.
	last, err := e.put(b, "after-cancel")
	if err != nil {
		return err
	}
	after, err := collectEvents(prefixCh, 1, e.callTimeout)
	if err != nil {
		return fmt.Errorf("prefix watch after the others were canceled: %v", err)
	}
	tail := []wantEvent{{mvccpb.PUT, b, "after-cancel", last.Header.Revision, "2"}}
	if err := matchEvents(after, tail, true); err != nil {
		return fmt.Errorf("prefix watch after the others were canceled: %v", err)
	}
	cancelAll()
	if err := waitWatchClosed(prefixCh, e.callTimeout); err != nil {
		return fmt.Errorf("canceled prefix watch: %v", err)
	}
	_, err = e.del(pfx, clientv3.WithPrefix())
	return err
}

// writeWatchHistory writes a=1, b=2, a=3, delete a and returns the events a prefix watch should see.
func writeWatchHistory(e *env, a, b string) ([]wantEvent, error) {
	p1, err := e.put(a, "1")
	if err != nil {
		return nil, err
	}
	p2, err := e.put(b, "2")
	if err != nil {
		return nil, err
	}
	p3, err := e.put(a, "3")
	if err != nil {
		return nil, err
	}
	d4, err := e.del(a)
	if err != nil {
		return nil, err
	}
	return []wantEvent{
		{mvccpb.PUT, a, "1", p1.Header.Revision, ""},
		{mvccpb.PUT, b, "2", p2.Header.Revision, ""},
		{mvccpb.PUT, a, "3", p3.Header.Revision, "1"},
		{mvccpb.DELETE, a, "", d4.Header.Revision, "3"},
	}, nil
}

// expectCreated waits for the response that confirms a watch was created (WithCreatedNotify).
func expectCreated(ch clientv3.WatchChan, timeout time.Duration) error {
	resp, err := recvWatch(ch, timeout)
	if err != nil {
		return err
	}
	if !resp.Created || len(resp.Events) != 0 || resp.Err() != nil || resp.Header.Revision == 0 {
		return fmt.Errorf("first response: created %v, %d events, err %v, header revision %d; want a created "+
			"notice", resp.Created, len(resp.Events), resp.Err(), resp.Header.Revision)
	}
	return nil
}

// checkWatchProgress: RequestProgress makes a synced watch receive a progress notice whose header revision is
// at least the store's (Kubernetes' consistent reads from its watch cache use this).
func checkWatchProgress(e *env) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := e.cli.Watch(ctx, e.key("progress/"), clientv3.WithPrefix(), clientv3.WithCreatedNotify())
	if err := expectCreated(ch, e.callTimeout); err != nil {
		return err
	}
	p, err := e.put(e.key("progress-elsewhere"), "x")
	if err != nil {
		return err
	}
	// The member serving the watch may not have applied the put yet (etcd's progress notice carries that
	// member's revision): ask again until the notice reaches the put's revision.
	deadline := time.Now().Add(e.callTimeout)
	for {
		callCtx, callCancel := e.ctx()
		err = e.cli.RequestProgress(callCtx)
		callCancel()
		if err != nil {
			return fmt.Errorf("request progress: %v", err)
		}
		resp, err := recvWatch(ch, e.callTimeout)
		if err != nil {
			return fmt.Errorf("after request progress: %v", err)
		}
		if !resp.IsProgressNotify() {
			return fmt.Errorf("after request progress: %d events, created %v, canceled %v, header revision %d; "+
				"want a progress notice", len(resp.Events), resp.Created, resp.Canceled, resp.Header.Revision)
		}
		if resp.Header.Revision >= p.Header.Revision {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("progress notices stay at revision %d, want >= %d", resp.Header.Revision,
				p.Header.Revision)
		}
		time.Sleep(50 * time.Millisecond)
	}
	_, err = e.del(e.key("progress-elsewhere"))
	return err
}
