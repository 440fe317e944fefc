package main

import (
	"math"
	"time"
)

// latencySummary is the distribution of a sorted array of latencies, in milliseconds. The percentiles are
// exact (nearest rank over every sample); no histogram buckets are involved.
type latencySummary struct {
	Count int     `json:"count"`
	Mean  float64 `json:"mean_ms"`
	Min   float64 `json:"min_ms"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p99_9_ms"`
	Max   float64 `json:"max_ms"`
}

// summarize describes sorted, which must be in ascending order.
func summarize(sorted []time.Duration) latencySummary {
	s := latencySummary{Count: len(sorted)}
	if len(sorted) == 0 {
		return s
	}
	var sum time.Duration
	for _, d := range sorted {
		sum += d
	}
	s.Mean = ms(sum / time.Duration(len(sorted)))
	s.Min = ms(sorted[0])
	s.P50 = ms(percentile(sorted, 0.50))
	s.P90 = ms(percentile(sorted, 0.90))
	s.P99 = ms(percentile(sorted, 0.99))
	s.P999 = ms(percentile(sorted, 0.999))
	s.Max = ms(sorted[len(sorted)-1])
	return s
}

// percentile is the nearest-rank q-quantile of sorted: the smallest sample with at least q of the samples at
// or below it.
func percentile(sorted []time.Duration, q float64) time.Duration {
	rank := int(math.Ceil(q * float64(len(sorted))))
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

// ms converts d to milliseconds rounded to a microsecond.
func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}
