package main

import (
	"context"
	"sort"
	"sync"
	"time"

	"go.etcd.io/etcd/clientv3"
)

// request sends request index (0-based over the warmup and measured requests together) through cli and
// returns nil when it succeeded.
type request func(ctx context.Context, cli *clientv3.Client, index int) error

// phase is what one batch of requests did.
type phase struct {
	requests  int
	errors    int
	errorKind map[string]int  // error text -> how many requests failed with it
	latencies []time.Duration // of the successful requests, sorted
	duration  time.Duration   // from the first send to the last completion
}

// runPhase sends requests first ..< first+count from c.clients goroutines, goroutine g on conns[g % len(conns)],
// at most rate per second over all goroutines when rate > 0, and measures each.
func runPhase(c *common, conns []*clientv3.Client, first, count int, rate float64, send request) phase {
	indexes := make(chan int, 4*c.clients)
	go func() {
		start := time.Now()
		for i := 0; i < count; i++ {
			if rate > 0 {
				due := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
				if wait := time.Until(due); wait > 0 {
					time.Sleep(wait)
				}
			}
			indexes <- first + i
		}
		close(indexes)
	}()

	type local struct {
		errorKind map[string]int
		latencies []time.Duration
	}
	locals := make([]local, c.clients)
	var wg sync.WaitGroup
	start := time.Now()
	for g := 0; g < c.clients; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			cli := conns[g%len(conns)]
			l := &locals[g]
			l.errorKind = map[string]int{}
			l.latencies = make([]time.Duration, 0, count/c.clients+1)
			for index := range indexes {
				ctx, cancel := callContext(c)
				sent := time.Now()
				err := send(ctx, cli, index)
				took := time.Since(sent)
				cancel()
				if err != nil {
					l.errorKind[errorText(err)]++
				} else {
					l.latencies = append(l.latencies, took)
				}
			}
		}(g)
	}
	wg.Wait()
	p := phase{requests: count, errorKind: map[string]int{}, duration: time.Since(start)}
	p.latencies = make([]time.Duration, 0, count)
	for _, l := range locals {
		p.latencies = append(p.latencies, l.latencies...)
		for text, n := range l.errorKind {
			p.errorKind[text] += n
			p.errors += n
		}
	}
	sort.Slice(p.latencies, func(i, j int) bool { return p.latencies[i] < p.latencies[j] })
	return p
}

// errorText is the text an error is counted under, cut to a length a report can show.
func errorText(err error) string {
	text := err.Error()
	if len(text) > 160 {
		text = text[:160] + "..."
	}
	return text
}
