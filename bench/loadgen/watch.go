package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/clientv3"
	"go.etcd.io/etcd/mvcc/mvccpb"
)

// watchFlags are the flags of watch.
type watchFlags struct {
	watchers      int
	streams       int
	putTotal      int
	putRate       float64
	keySize       int
	valSize       int
	keySpaceSize  int
	watchPrefix   bool
	createTimeout time.Duration
	wait          time.Duration
	settle        time.Duration
}

// watchResult is what the watchers received.
type watchResult struct {
	Watchers       int            `json:"watchers"`
	Streams        int            `json:"streams"`
	SetupS         float64        `json:"setup_s"` // until every watcher had its created notification
	EventsExpected int64          `json:"events_expected"`
	EventsReceived int64          `json:"events_received"`
	Responses      int64          `json:"responses"`  // watch responses holding those events
	DeliveryS      float64        `json:"delivery_s"` // first put sent to last event received
	EventsPerS     float64        `json:"events_per_s"`
	LagS           float64        `json:"lag_s"` // last put acknowledged to last event received
	Latency        latencySummary `json:"delivery_latency"`
	WatchersFailed int            `json:"watchers_failed"`
	Missing        int            `json:"missing"`
	Duplicates     int            `json:"duplicates"`
	OutOfOrder     int            `json:"out_of_order"`
	WrongRevision  int            `json:"wrong_revision"`
	Unacknowledged int            `json:"events_of_unacknowledged_puts"`
}

// watcherLog is what one watcher received; only its goroutine writes it until the run waits for them all.
type watcherLog struct {
	indexes   []int32 // put index of each event, from its value
	revisions []int64
	latencies []time.Duration
	last      time.Time // when the last event arrived
	responses int64     // responses that held events
	problems  []string
}

func (l *watcherLog) problemf(format string, args ...any) {
	if len(l.problems) < 3 {
		l.problems = append(l.problems, fmt.Sprintf(format, args...))
	}
}

// runWatch runs watch: it opens --watchers watches spread round-robin over --streams watch streams (which are
// spread over the conns), waits until each is created, then sends --put-total puts at --put-rate to the
// watched keys and checks what every watcher received.
func runWatch(args []string) int {
	const name = "watch"
	var c common
	var w watchFlags
	fs, endpoints := newFlagSet(name, &c, false)
	fs.IntVar(&w.watchers, "watchers", 1000, "watches in all")
	fs.IntVar(&w.streams, "streams", 10, "gRPC watch streams the watchers are spread over")
	fs.IntVar(&w.putTotal, "put-total", 1000, "puts measured (on the watched keys)")
	fs.Float64Var(&w.putRate, "put-rate", 100, "puts per second (0: as fast as --clients go)")
	fs.IntVar(&w.keySize, "key-size", 32, "bytes of each key, the prefix included")
	fs.IntVar(&w.valSize, "val-size", 16, "bytes of each value (it starts with the put's index)")
	fs.IntVar(&w.keySpaceSize, "key-space-size", 1, "watched keys: watcher j watches key j % N, put i writes key i % N")
	fs.BoolVar(&w.watchPrefix, "watch-prefix", false, "every watcher watches every key (a prefix watch)")
	fs.DurationVar(&w.createTimeout, "create-timeout", 60*time.Second, "time allowed to create every watcher")
	fs.DurationVar(&w.wait, "wait", 30*time.Second, "time allowed after the last put for every event to arrive")
	fs.DurationVar(&w.settle, "settle", time.Second, "time to keep watching after every expected event arrived")
	if _, ok := parseArgs(fs, args); !ok {
		return 2
	}
	if err := c.finish(*endpoints); err != nil {
		return usageError(name, err)
	}
	switch {
	case w.watchers < 1 || w.streams < 1 || w.streams > w.watchers:
		return usageError(name, fmt.Errorf("need 1 <= --streams <= --watchers"))
	case w.putTotal < 1 || w.putRate < 0:
		return usageError(name, fmt.Errorf("need --put-total >= 1 and --put-rate >= 0"))
	case w.keySpaceSize < 1:
		return usageError(name, fmt.Errorf("--key-space-size must be at least 1"))
	case w.valSize < len(fmt.Sprint(w.putTotal-1))+1:
		return usageError(name, fmt.Errorf("--val-size must hold the put index and a '.'"))
	}
	c.total = w.putTotal
	c.rate = w.putRate
	watchedPrefix := c.prefix + "w/"
	keys, err := newKeySpace(watchedPrefix, w.keySize, w.keySpaceSize, true, w.putTotal, 0)
	if err != nil {
		return usageError(name, err)
	}

	conns, err := dial(&c)
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadgen %s: %v\n", name, err)
		return 1
	}
	defer closeAll(conns)

	if c.warmup > 0 { // before any watcher exists, on a key none watches
		warmKey := c.prefix + "warmup"
		runPhase(&c, conns, 0, c.warmup, c.rate, func(ctx context.Context, cli *clientv3.Client, i int) error {
			_, err := cli.Put(ctx, warmKey, value(i, w.valSize))
			return err
		})
	}

	// The watchers.
	streams := make([]clientv3.Watcher, w.streams)
	for s := range streams {
		streams[s] = clientv3.NewWatcher(conns[s%len(conns)])
	}
	defer func() {
		for _, s := range streams {
			s.Close()
		}
	}()
	sendTimes := make([]int64, w.putTotal) // unix nanoseconds each put was sent; atomic
	logs := make([]watcherLog, w.watchers)
	var received int64
	watchCtx, stopWatching := context.WithCancel(context.Background())
	defer stopWatching()
	var created, finished sync.WaitGroup
	setupStart := time.Now()
	for j := 0; j < w.watchers; j++ {
		key, opts := keys.key(j%w.keySpaceSize), []clientv3.OpOption{clientv3.WithCreatedNotify()}
		if w.watchPrefix {
			key, opts = watchedPrefix, append(opts, clientv3.WithPrefix())
		}
		ch := streams[j%w.streams].Watch(watchCtx, key, opts...)
		created.Add(1)
		finished.Add(1)
		go watchOne(ch, &logs[j], key, w.watchPrefix, sendTimes, &received, &created, &finished)
	}
	if !waitGroupWithin(&created, w.createTimeout) {
		fmt.Fprintf(os.Stderr, "loadgen %s: not every watcher was created within %v\n", name, w.createTimeout)
		return 1
	}
	setup := time.Since(setupStart)

	// The puts.
	revisions := make([]int64, w.putTotal)
	p := runPhase(&c, conns, 0, w.putTotal, w.putRate, func(ctx context.Context, cli *clientv3.Client, i int) error {
		atomic.StoreInt64(&sendTimes[i], time.Now().UnixNano())
		resp, err := cli.Put(ctx, keys.key(keys.number(i)), value(i, w.valSize))
		if err != nil {
			return err
		}
		revisions[i] = resp.Header.Revision
		return nil
	})
	putsDone := time.Now()
	firstSend := putsDone.Add(-p.duration)

	// Every watcher should receive every acknowledged put of the keys it watches.
	expected := make([]int64, w.keySpaceSize) // acknowledged puts per key number
	var ackedAll int64
	for i, rev := range revisions {
		if rev > 0 {
			expected[keys.number(i)]++
			ackedAll++
		}
	}
	var want int64
	for j := 0; j < w.watchers; j++ {
		if w.watchPrefix {
			want += ackedAll
		} else {
			want += expected[j%w.keySpaceSize]
		}
	}
	deadline := putsDone.Add(w.wait)
	for atomic.LoadInt64(&received) < want && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(w.settle)
	stopWatching()
	if !waitGroupWithin(&finished, 10*time.Second) {
		fmt.Fprintf(os.Stderr, "loadgen %s: watch channels stayed open 10 s after cancel\n", name)
		return 1
	}

	r := newReport(name, &c, p)
	r.Settings["prefix"] = watchedPrefix
	r.Settings["put_rate"] = w.putRate
	r.Settings["key_space_size"] = w.keySpaceSize
	r.Settings["watch_prefix"] = w.watchPrefix
	r.Settings["val_size"] = w.valSize
	acked := int(ackedAll)
	r.AckedPuts = &acked
	checkRevisions(r, revisions)
	r.Watch = checkWatchers(r, logs, revisions, keys, w, want, setup, firstSend, putsDone)
	return r.emit(c.json)
}

// watchOne records what one watch channel delivers until it closes.
func watchOne(ch clientv3.WatchChan, l *watcherLog, key string, prefix bool, sendTimes []int64, received *int64,
	created, finished *sync.WaitGroup) {
	defer finished.Done()
	isCreated := false
	defer func() {
		if !isCreated {
			created.Done()
		}
	}()
	for resp := range ch {
		now := time.Now()
		if resp.Created && !isCreated {
			isCreated = true
			created.Done()
		}
		if err := resp.Err(); err != nil {
			l.problemf("watch error: %v", err)
			continue
		}
		if resp.Canceled {
			l.problemf("watch canceled by the server")
			continue
		}
		if len(resp.Events) > 0 {
			l.responses++
		}
		for _, ev := range resp.Events {
			if ev.Type != mvccpb.PUT || ev.Kv == nil {
				l.problemf("unexpected %v event", ev.Type)
				continue
			}
			k := string(ev.Kv.Key)
			if (prefix && (len(k) < len(key) || k[:len(key)] != key)) || (!prefix && k != key) {
				l.problemf("event for key %q on a watch of %q", k, key)
				continue
			}
			index, ok := valueIndex(ev.Kv.Value)
			if !ok || index < 0 || index >= len(sendTimes) {
				l.problemf("event at revision %d holds value %q, not one of this run's puts", ev.Kv.ModRevision,
					ev.Kv.Value)
				continue
			}
			l.indexes = append(l.indexes, int32(index))
			l.revisions = append(l.revisions, ev.Kv.ModRevision)
			l.latencies = append(l.latencies, now.Sub(time.Unix(0, atomic.LoadInt64(&sendTimes[index]))))
			l.last = now
			atomic.AddInt64(received, 1)
		}
	}
}

// checkWatchers checks each watcher got every acknowledged put of its keys exactly once, in revision order,
// each at the revision its put was acknowledged at, and summarizes the delivery.
func checkWatchers(r *report, logs []watcherLog, revisions []int64, keys *keySpace, w watchFlags, want int64,
	setup time.Duration, firstSend, putsDone time.Time) *watchResult {
	res := &watchResult{Watchers: w.watchers, Streams: w.streams, SetupS: round3(setup.Seconds()),
		EventsExpected: want}
	var all []time.Duration
	var lastEvent time.Time
	failures := 0
	seen := make([]int32, len(revisions)) // per watcher: 1 + the watcher's number when it saw put i
	for j := range logs {
		l := &logs[j]
		res.EventsReceived += int64(len(l.indexes))
		res.Responses += l.responses
		all = append(all, l.latencies...)
		if l.last.After(lastEvent) {
			lastEvent = l.last
		}
		problems := append([]string(nil), l.problems...)
		add := func(counter *int, format string, args ...any) {
			*counter++
			if len(problems) < 3 {
				problems = append(problems, fmt.Sprintf(format, args...))
			}
		}
		for e, index := range l.indexes {
			rev := l.revisions[e]
			if e > 0 && rev <= l.revisions[e-1] {
				add(&res.OutOfOrder, "event %d at revision %d follows revision %d", e, rev, l.revisions[e-1])
			}
			switch {
			case seen[index] == int32(j+1):
				add(&res.Duplicates, "put %d (revision %d) delivered twice", index, rev)
			case revisions[index] == 0:
				res.Unacknowledged++
			case revisions[index] != rev:
				add(&res.WrongRevision, "put %d acknowledged at revision %d arrived at revision %d", index,
					revisions[index], rev)
			}
			seen[index] = int32(j + 1)
		}
		for i, rev := range revisions {
			watched := w.watchPrefix || keys.number(i) == j%w.keySpaceSize
			if rev > 0 && watched && seen[i] != int32(j+1) {
				add(&res.Missing, "put %d acknowledged at revision %d never arrived", i, rev)
			}
		}
		if len(problems) > 0 {
			failures++
			if failures <= 3 {
				r.failf("watcher %d: %v", j, problems)
			}
		}
	}
	res.WatchersFailed = failures
	if failures > 3 {
		r.failf("%d watchers in all failed (missing %d, duplicates %d, out of order %d, wrong revision %d)",
			failures, res.Missing, res.Duplicates, res.OutOfOrder, res.WrongRevision)
	}
	sort.Slice(all, func(a, b int) bool { return all[a] < all[b] })
	res.Latency = summarize(all)
	if !lastEvent.IsZero() {
		delivery := lastEvent.Sub(firstSend)
		res.DeliveryS = round3(delivery.Seconds())
		if delivery > 0 {
			res.EventsPerS = round3(float64(res.EventsReceived) / delivery.Seconds())
		}
		res.LagS = round3(lastEvent.Sub(putsDone).Seconds())
	}
	return res
}

func (res *watchResult) printText() {
	fmt.Printf("  watchers      %d over %d streams, created in %.3f s\n", res.Watchers, res.Streams, res.SetupS)
	fmt.Printf("  events        %d received of %d expected in %.3f s, %.1f events/s (last event %.3f s after the last put's ack)\n",
		res.EventsReceived, res.EventsExpected, res.DeliveryS, res.EventsPerS, res.LagS)
	if res.Responses > 0 {
		fmt.Printf("  responses     %d holding events, %.2f events each\n", res.Responses,
			float64(res.EventsReceived)/float64(res.Responses))
	}
	printLatency("delivery", res.Latency)
	fmt.Printf("  checks        watchers failed %d: missing %d, duplicates %d, out of order %d, wrong revision %d; events of unacknowledged puts %d\n",
		res.WatchersFailed, res.Missing, res.Duplicates, res.OutOfOrder, res.WrongRevision, res.Unacknowledged)
}

// waitGroupWithin waits for wg, or returns false after timeout.
func waitGroupWithin(wg *sync.WaitGroup, timeout time.Duration) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}
