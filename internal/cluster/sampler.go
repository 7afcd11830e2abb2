package cluster

import (
	"cmp"
	"log/slog"
	"slices"
	"time"
)

// sampler decides which events of a stream a stranger can repeat at will
// (refused handshakes on the cluster port, a peer's errors) get a log line
// of their own. The first event of a key is logged; later ones are only
// counted, and due reports them as one summary per key at most once per
// interval. A key quiet for a whole interval is forgotten, so its next
// event is logged in full again.
//
// The keys are bounded too: a stranger can use as many source addresses as
// it likes, so once maxKeys keys are held, events from new sources are
// counted under their event with the source overflowSource.
//
// sampler is pure: callers pass the time, serialize their calls and log
// what it returns.
type sampler struct {
	interval time.Duration
	maxKeys  int
	keys     map[sampleKey]*sampleCount
}

// sampleKey names one kind of repeated event and where it comes from.
type sampleKey struct {
	Level slog.Level
	// Event is the log message, "cluster: refused connection".
	Event string
	// Source is the remote host, or raft's sub-logger.
	Source string
}

// overflowSource stands for every source beyond the first maxKeys.
const overflowSource = "other sources"

// sampleCount is what a key has seen since its last log line.
type sampleCount struct {
	since time.Time // when its last line, first or summary, was logged
	count uint64    // events since then that got no line
	last  string    // the latest of those events' detail
}

// summary stands for the events of one key that got no line of their own.
type summary struct {
	sampleKey
	Count uint64        // how many
	Over  time.Duration // in how long: since the key's last line
	Last  string        // the latest one's detail
}

func newSampler(interval time.Duration, maxKeys int) *sampler {
	return &sampler{interval: interval, maxKeys: maxKeys, keys: make(map[sampleKey]*sampleCount)}
}

// note records one event and reports whether it gets a line of its own now.
func (s *sampler) note(k sampleKey, detail string, now time.Time) bool {
	e, ok := s.keys[k]
	if !ok && len(s.keys) >= s.maxKeys {
		k.Source = overflowSource
		e, ok = s.keys[k]
	}
	if !ok {
		s.keys[k] = &sampleCount{since: now}
		return true
	}
	e.count++
	e.last = detail
	return false
}

// due returns, in a stable order, the summaries of the keys whose last line
// is at least an interval old, and forgets the keys quiet since then.
func (s *sampler) due(now time.Time) []summary {
	var out []summary
	for k, e := range s.keys {
		if now.Sub(e.since) < s.interval {
			continue
		}
		if e.count == 0 {
			delete(s.keys, k)
			continue
		}
		out = append(out, summary{sampleKey: k, Count: e.count, Over: now.Sub(e.since), Last: e.last})
		e.since, e.count, e.last = now, 0, ""
	}
	return sorted(out)
}

// flush returns the summaries of every key with events not yet reported,
// however young, and forgets every key: the last word at shutdown.
func (s *sampler) flush(now time.Time) []summary {
	var out []summary
	for k, e := range s.keys {
		if e.count > 0 {
			out = append(out, summary{sampleKey: k, Count: e.count, Over: now.Sub(e.since), Last: e.last})
		}
	}
	clear(s.keys)
	return sorted(out)
}

func sorted(out []summary) []summary {
	slices.SortFunc(out, func(a, b summary) int {
		return cmp.Or(cmp.Compare(a.Event, b.Event), cmp.Compare(a.Source, b.Source), cmp.Compare(a.Level, b.Level))
	})
	return out
}
