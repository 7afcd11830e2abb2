package clients

import (
	"maps"
	"sync"
	"time"

	"outlast/internal/lab/measure"
)

// Class is how a request ended.
type Class uint8

// Request outcomes. A request is counted in the second it began.
const (
	OK      Class = iota // a 2xx answer, body read
	DNS                  // no address: every nameserver timed out or failed, or none had one
	Timeout              // the request timed out (connect, answer or body)
	Refused              // the connection was refused
	Status               // an answer other than 2xx
	Other                // anything else (reset, a broken answer)
	numClasses
)

var classNames = [numClasses]string{"ok", "dns", "timeout", "refused", "status", "other"}

func (c Class) String() string {
	if c < numClasses {
		return classNames[c]
	}
	return "unknown"
}

// Outcome is one request's result.
type Outcome struct {
	At      time.Time // when the request began (its lookup included)
	Class   Class
	Backend string // for OK: who served it (X-Outlast-Backend)
	// Latency is how long it took, lookup included, to its last body byte.
	Latency time.Duration
}

// Totals sum a Recorder's outcomes.
type Totals struct {
	Requests, Successes int
	Failures            map[Class]int  // failed requests per class; classes with none are left out
	ServedBy            map[string]int // successful requests per backend
}

// Recorder aggregates outcomes into one bucket per second since its start,
// on the fly, so a long run costs a few words per second and not per
// request. It is safe for concurrent use.
type Recorder struct {
	start   time.Time
	mu      sync.Mutex
	buckets []bucket
}

type bucket struct {
	requests, successes int
	servedBy            map[string]int
	failures            [numClasses]int
	maxLatency          time.Duration // of the successful requests
}

// NewRecorder starts counting seconds at start.
func NewRecorder(start time.Time) *Recorder { return &Recorder{start: start} }

// Record counts one outcome in the second it began; an outcome from before
// the start counts in the first second.
func (r *Recorder) Record(o Outcome) {
	i := max(0, int(o.At.Sub(r.start)/time.Second))
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.buckets) <= i {
		r.buckets = append(r.buckets, bucket{servedBy: map[string]int{}})
	}
	b := &r.buckets[i]
	b.requests++
	if o.Class == OK {
		b.successes++
		b.servedBy[o.Backend]++
		b.maxLatency = max(b.maxLatency, o.Latency)
		return
	}
	b.failures[min(o.Class, Other)]++
}

// Seconds is the timeline so far: one entry per second from the start up to
// the last second with an outcome, empty seconds included.
func (r *Recorder) Seconds() []measure.Second {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]measure.Second, len(r.buckets))
	for i, b := range r.buckets {
		out[i] = measure.Second{T: i, Requests: b.requests, Successes: b.successes, ServedBy: maps.Clone(b.servedBy),
			MaxLatencyS: b.maxLatency.Seconds()}
	}
	return out
}

// Totals sums every second so far.
func (r *Recorder) Totals() Totals {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := Totals{Failures: map[Class]int{}, ServedBy: map[string]int{}}
	for _, b := range r.buckets {
		t.Requests += b.requests
		t.Successes += b.successes
		for name, n := range b.servedBy {
			t.ServedBy[name] += n
		}
		for c, n := range b.failures {
			if n > 0 {
				t.Failures[Class(c)] += n
			}
		}
	}
	return t
}
