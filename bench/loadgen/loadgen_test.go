package main

import (
	"strings"
	"testing"
	"time"
)

// The assertions the load runs rely on, checked on made-up inputs: a check that cannot fail proves nothing.

func TestPercentileIsNearestRank(t *testing.T) {
	sorted := make([]time.Duration, 1000)
	for i := range sorted {
		sorted[i] = time.Duration(i+1) * time.Millisecond
	}
	s := summarize(sorted)
	if s.P50 != 500 || s.P90 != 900 || s.P99 != 990 || s.P999 != 999 || s.Max != 1000 || s.Min != 1 {
		t.Fatalf("summary %+v", s)
	}
	if got := percentile(sorted[:1], 0.999); got != time.Millisecond {
		t.Fatalf("one sample: %v", got)
	}
}

func TestKeysAndValues(t *testing.T) {
	ks, err := newKeySpace("p/", 12, 0, false, 1000, 1)
	if err != nil {
		t.Fatal(err)
	}
	if k := ks.key(ks.number(42)); k != "p/0000000042" {
		t.Fatalf("key %q", k)
	}
	if _, err := newKeySpace("long-prefix/", 12, 0, false, 1000, 1); err == nil {
		t.Fatal("a key size too small for the prefix was accepted")
	}
	bounded, _ := newKeySpace("p/", 12, 7, false, 1000, 1)
	seen := map[int]bool{}
	for i := 0; i < 1000; i++ {
		n := bounded.number(i)
		if n < 0 || n >= 7 {
			t.Fatalf("key number %d outside the key space", n)
		}
		seen[n] = true
	}
	if len(seen) != 7 {
		t.Fatalf("random key numbers hit %d of 7 keys", len(seen))
	}
	for _, size := range []int{4, 16, 300} {
		v := value(123, size)
		if len(v) != size {
			t.Fatalf("value of size %d is %d bytes", size, len(v))
		}
		if index, ok := valueIndex([]byte(v)); !ok || index != 123 {
			t.Fatalf("value %q read back as %d %v", v, index, ok)
		}
	}
}

// watchCase runs checkWatchers on two watchers of one key with puts 0..2 acknowledged at revisions 10..12.
func watchCase(t *testing.T, second watcherLog) (*report, *watchResult) {
	t.Helper()
	good := watcherLog{indexes: []int32{0, 1, 2}, revisions: []int64{10, 11, 12}}
	keys, _ := newKeySpace("w/", 8, 1, true, 3, 0)
	r := &report{Failures: []string{}}
	w := watchFlags{watchers: 2, streams: 1, keySpaceSize: 1}
	now := time.Now()
	res := checkWatchers(r, []watcherLog{good, second}, []int64{10, 11, 12}, keys, w, 6, 0, now, now)
	return r, res
}

func TestWatchCheckPassesExactDelivery(t *testing.T) {
	r, res := watchCase(t, watcherLog{indexes: []int32{0, 1, 2}, revisions: []int64{10, 11, 12}})
	if len(r.Failures) != 0 || res.WatchersFailed != 0 || res.EventsReceived != 6 {
		t.Fatalf("failures %v, result %+v", r.Failures, res)
	}
}

func TestWatchCheckCatchesEachFault(t *testing.T) {
	cases := []struct {
		name    string
		log     watcherLog
		counter func(*watchResult) int
		text    string
	}{
		{"missing", watcherLog{indexes: []int32{0, 2}, revisions: []int64{10, 12}},
			func(r *watchResult) int { return r.Missing }, "never arrived"},
		{"duplicate", watcherLog{indexes: []int32{0, 1, 1, 2}, revisions: []int64{10, 11, 11, 12}},
			func(r *watchResult) int { return r.Duplicates }, "delivered twice"},
		{"out of order", watcherLog{indexes: []int32{0, 2, 1}, revisions: []int64{10, 12, 11}},
			func(r *watchResult) int { return r.OutOfOrder }, "follows revision"},
		{"wrong revision", watcherLog{indexes: []int32{0, 1, 2}, revisions: []int64{10, 11, 13}},
			func(r *watchResult) int { return r.WrongRevision }, "arrived at revision 13"},
	}
	for _, c := range cases {
		r, res := watchCase(t, c.log)
		if c.counter(res) == 0 || res.WatchersFailed != 1 || len(r.Failures) != 1 ||
			!strings.Contains(r.Failures[0], c.text) || !strings.HasPrefix(r.Failures[0], "watcher 1:") {
			t.Errorf("%s: failures %v, result %+v", c.name, r.Failures, res)
		}
	}
}

func TestAcknowledgedRevisionsMustDiffer(t *testing.T) {
	r := &report{Failures: []string{}}
	checkRevisions(r, []int64{5, 0, 6, 7})
	if len(r.Failures) != 0 {
		t.Fatalf("distinct revisions failed: %v", r.Failures)
	}
	checkRevisions(r, []int64{5, 6, 5})
	if len(r.Failures) != 1 || !strings.Contains(r.Failures[0], "requests 0 and 2") {
		t.Fatalf("a shared revision passed: %v", r.Failures)
	}
}

func TestUserSplitsAtTheFirstColon(t *testing.T) {
	name, password, err := splitUser("alice:pa:ss")
	if err != nil || name != "alice" || password != "pa:ss" {
		t.Fatalf("got %q %q %v", name, password, err)
	}
	// clientv3 logs in only with both parts set: an empty one would run without auth, unnoticed.
	for _, bad := range []string{"alice", ":secret", "alice:", ""} {
		if _, _, err := splitUser(bad); err == nil {
			t.Errorf("--user %q was accepted", bad)
		}
	}
}

func TestAuthenticateTokensMustDiffer(t *testing.T) {
	r := &report{Failures: []string{}}
	checkTokensDiffer(r, []string{"a.1", "", "b.2", "c.3"})
	if len(r.Failures) != 0 {
		t.Fatalf("distinct tokens failed: %v", r.Failures)
	}
	checkTokensDiffer(r, []string{"a.1", "b.2", "a.1"})
	if len(r.Failures) != 1 || !strings.Contains(r.Failures[0], "requests 0 and 2") {
		t.Fatalf("a shared token passed: %v", r.Failures)
	}
}
