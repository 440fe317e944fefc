package main

import (
	"fmt"
	"strings"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/mvcc/mvccpb"
)

// put writes one key within the call timeout.
func (e *env) put(key, val string, opts ...clientv3.OpOption) (*clientv3.PutResponse, error) {
	ctx, cancel := e.ctx()
	defer cancel()
	resp, err := e.cli.Put(ctx, key, val, opts...)
	if err != nil {
		return nil, fmt.Errorf("put %s: %v", key, err)
	}
	return resp, nil
}

// get reads within the call timeout.
func (e *env) get(key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	ctx, cancel := e.ctx()
	defer cancel()
	resp, err := e.cli.Get(ctx, key, opts...)
	if err != nil {
		return nil, fmt.Errorf("get %s: %v", key, err)
	}
	return resp, nil
}

// del deletes within the call timeout.
func (e *env) del(key string, opts ...clientv3.OpOption) (*clientv3.DeleteResponse, error) {
	ctx, cancel := e.ctx()
	defer cancel()
	resp, err := e.cli.Delete(ctx, key, opts...)
	if err != nil {
		return nil, fmt.Errorf("delete %s: %v", key, err)
	}
	return resp, nil
}

// currentRevision asks for the store's revision with a one-key read.
func (e *env) currentRevision() (int64, error) {
	resp, err := e.get(e.key("revision-probe"))
	if err != nil {
		return 0, err
	}
	return resp.Header.Revision, nil
}

// getValue reads one key and fails unless it holds want.
func (e *env) getValue(key, want string, opts ...clientv3.OpOption) (*mvccpb.KeyValue, error) {
	resp, err := e.get(key, opts...)
	if err != nil {
		return nil, err
	}
	if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != want {
		return nil, fmt.Errorf("get %s: got [%s], want %q", key, describeKVs(resp.Kvs), want)
	}
	return resp.Kvs[0], nil
}

// expectAbsent fails unless key is missing.
func (e *env) expectAbsent(key string) error {
	resp, err := e.get(key)
	if err != nil {
		return err
	}
	if len(resp.Kvs) != 0 {
		return fmt.Errorf("get %s: got [%s], want no key", key, describeKVs(resp.Kvs))
	}
	return nil
}

// describeKVs renders keys, values and revisions for failure messages.
func describeKVs(kvs []*mvccpb.KeyValue) string {
	parts := make([]string, len(kvs))
	for i, kv := range kvs {
		parts[i] = fmt.Sprintf("%s=%q(create %d, mod %d, version %d, lease %x)",
			kv.Key, short(kv.Value), kv.CreateRevision, kv.ModRevision, kv.Version, kv.Lease)
	}
	return strings.Join(parts, " ")
}

func short(b []byte) string {
	if len(b) > 40 {
		return fmt.Sprintf("%s...(%d bytes)", b[:40], len(b))
	}
	return string(b)
}

// describeEvent renders one watch event for failure messages.
func describeEvent(ev *clientv3.Event) string {
	s := fmt.Sprintf("%s %s=%q mod %d", ev.Type, ev.Kv.Key, short(ev.Kv.Value), ev.Kv.ModRevision)
	if ev.PrevKv != nil {
		s += fmt.Sprintf(" prev %q", short(ev.PrevKv.Value))
	}
	return s
}

// recvWatch waits for the next response on a watch channel.
func recvWatch(ch clientv3.WatchChan, timeout time.Duration) (clientv3.WatchResponse, error) {
	select {
	case resp, ok := <-ch:
		if !ok {
			return resp, fmt.Errorf("watch channel closed")
		}
		return resp, nil
	case <-time.After(timeout):
		return clientv3.WatchResponse{}, fmt.Errorf("no watch response within %v", timeout)
	}
}

// collectEvents reads responses until n events arrived; responses without events (progress) are skipped.
func collectEvents(ch clientv3.WatchChan, n int, timeout time.Duration) ([]*clientv3.Event, error) {
	var events []*clientv3.Event
	deadline := time.Now().Add(timeout)
	for len(events) < n {
		resp, err := recvWatch(ch, time.Until(deadline))
		if err != nil {
			return events, fmt.Errorf("after %d of %d events: %v", len(events), n, err)
		}
		if err := resp.Err(); err != nil {
			return events, fmt.Errorf("after %d of %d events: watch error %v", len(events), n, err)
		}
		events = append(events, resp.Events...)
		for _, ev := range resp.Events {
			if ev.Kv.ModRevision > resp.Header.Revision {
				return events, fmt.Errorf("event %s after header revision %d", describeEvent(ev),
					resp.Header.Revision)
			}
		}
	}
	if len(events) > n {
		return events, fmt.Errorf("got %d events, want %d: %s", len(events), n, describeEvents(events))
	}
	return events, nil
}

func describeEvents(events []*clientv3.Event) string {
	parts := make([]string, len(events))
	for i, ev := range events {
		parts[i] = describeEvent(ev)
	}
	return strings.Join(parts, "; ")
}

// wantEvent is one expected watch event.
type wantEvent struct {
	typ      mvccpb.Event_EventType
	key      string
	value    string
	revision int64
	prev     string // the previous value when the watch asked for it ("" for none)
}

// matchEvents compares events with the expected ones, in order.
func matchEvents(got []*clientv3.Event, want []wantEvent, withPrev bool) error {
	if len(got) != len(want) {
		return fmt.Errorf("got %d events, want %d: %s", len(got), len(want), describeEvents(got))
	}
	for i, w := range want {
		ev := got[i]
		bad := ev.Type != w.typ || string(ev.Kv.Key) != w.key || ev.Kv.ModRevision != w.revision
		if w.typ == mvccpb.PUT && string(ev.Kv.Value) != w.value {
			bad = true
		}
		if withPrev && w.prev != "" && (ev.PrevKv == nil || string(ev.PrevKv.Value) != w.prev) {
			bad = true
		}
		if !withPrev && ev.PrevKv != nil {
			bad = true
		}
		if bad {
			return fmt.Errorf("event %d: got %s, want %s %s=%q mod %d prev %q", i, describeEvent(ev),
				w.typ, w.key, w.value, w.revision, w.prev)
		}
	}
	return nil
}

// waitWatchClosed drains a watch channel until it closes.
func waitWatchClosed(ch clientv3.WatchChan, timeout time.Duration) error {
	deadline := time.After(timeout)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return nil
			}
		case <-deadline:
			return fmt.Errorf("watch channel still open %v after cancel", timeout)
		}
	}
}
