package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
)

// report is what a run prints: as text, or with --json as one JSON object on stdout.
type report struct {
	Command      string         `json:"command"`
	Endpoints    []string       `json:"endpoints"`
	Clients      int            `json:"clients"`
	Conns        int            `json:"conns"`
	Warmup       int            `json:"warmup"`
	Requests     int            `json:"requests"`
	Errors       int            `json:"errors"`
	ErrorKinds   []errorKind    `json:"error_kinds,omitempty"`
	DurationS    float64        `json:"duration_s"`
	RequestsPerS float64        `json:"requests_per_s"`
	Latency      latencySummary `json:"latency"`
	Settings     map[string]any `json:"settings"`
	AckedPuts    *int           `json:"acknowledged_puts,omitempty"`
	DistinctKeys *int           `json:"distinct_keys_acknowledged,omitempty"`
	Verify       *verifyResult  `json:"verify,omitempty"`
	Watch        *watchResult   `json:"watch,omitempty"`
	Failures     []string       `json:"failures"`
	OK           bool           `json:"ok"`
}

// errorKind is one error text and how many requests failed with it.
type errorKind struct {
	Text  string `json:"text"`
	Count int    `json:"count"`
}

// newReport fills the fields every command has from the measured phase.
func newReport(name string, c *common, p phase) *report {
	r := &report{
		Command: name, Endpoints: c.endpoints, Clients: c.clients, Conns: c.conns, Warmup: c.warmup,
		Requests: p.requests, Errors: p.errors, DurationS: round3(p.duration.Seconds()),
		Latency: summarize(p.latencies), Settings: map[string]any{}, Failures: []string{},
	}
	if p.duration > 0 {
		r.RequestsPerS = round3(float64(p.requests) / p.duration.Seconds())
	}
	for text, n := range p.errorKind {
		r.ErrorKinds = append(r.ErrorKinds, errorKind{text, n})
	}
	sort.Slice(r.ErrorKinds, func(i, j int) bool {
		a, b := r.ErrorKinds[i], r.ErrorKinds[j]
		return a.Count > b.Count || (a.Count == b.Count && a.Text < b.Text)
	})
	return r
}

// failf records a failed assertion; the run then exits 1.
func (r *report) failf(format string, args ...any) {
	r.Failures = append(r.Failures, fmt.Sprintf(format, args...))
}

// emit prints the report and returns the exit status.
func (r *report) emit(asJSON bool) int {
	r.OK = len(r.Failures) == 0
	if asJSON {
		out, err := json.Marshal(r)
		if err != nil {
			fmt.Fprintf(os.Stderr, "loadgen: %v\n", err)
			return 1
		}
		fmt.Println(string(out))
	} else {
		r.printText()
	}
	if !r.OK {
		return 1
	}
	return 0
}

func (r *report) printText() {
	keys := make([]string, 0, len(r.Settings))
	for k := range r.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	settings := make([]string, 0, len(keys))
	for _, k := range keys {
		settings = append(settings, fmt.Sprintf("%s=%v", k, r.Settings[k]))
	}
	fmt.Printf("%s against %s: %d clients over %d conns, warmup %d (%s)\n", r.Command,
		strings.Join(r.Endpoints, ","), r.Clients, r.Conns, r.Warmup, strings.Join(settings, " "))
	fmt.Printf("  requests      %d, errors %d\n", r.Requests, r.Errors)
	for i, e := range r.ErrorKinds {
		if i == 5 {
			fmt.Printf("    ... %d more kinds of error\n", len(r.ErrorKinds)-5)
			break
		}
		fmt.Printf("    %dx %s\n", e.Count, e.Text)
	}
	fmt.Printf("  duration      %.3f s, %.1f requests/s\n", r.DurationS, r.RequestsPerS)
	printLatency("latency", r.Latency)
	if r.AckedPuts != nil {
		fmt.Printf("  acknowledged  %d puts", *r.AckedPuts)
		if r.DistinctKeys != nil {
			fmt.Printf(" to %d distinct keys", *r.DistinctKeys)
		}
		fmt.Println()
	}
	if r.Verify != nil {
		r.Verify.printText()
	}
	if r.Watch != nil {
		r.Watch.printText()
	}
	for _, f := range r.Failures {
		fmt.Printf("FAIL %s\n", f)
	}
	if len(r.Failures) == 0 {
		fmt.Println("ok")
	}
}

// printLatency prints one latency line under label.
func printLatency(label string, s latencySummary) {
	if s.Count == 0 {
		fmt.Printf("  %-13s no samples\n", label)
		return
	}
	fmt.Printf("  %-13s p50 %.3f ms, p90 %.3f, p99 %.3f, p99.9 %.3f, max %.3f (mean %.3f, %d samples)\n",
		label, s.P50, s.P90, s.P99, s.P999, s.Max, s.Mean, s.Count)
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
