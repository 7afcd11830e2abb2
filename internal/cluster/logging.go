package cluster

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

const (
	// logEvery is the longest a repeated event goes unreported: the
	// first of a kind is logged at once, the rest as one summary line per
	// kind and source per logEvery.
	logEvery = 10 * time.Second
	// logSources bounds how many sources (remote hosts, raft sub-loggers)
	// get lines of their own; the rest share one summary per kind.
	logSources = 32
)

// sampledLog writes the log lines a peer or a stranger can cause at will
// through a sampler, so that 50,000 refused handshakes cost a few lines
// instead of 10 MB of disk (a full data disk stops raft).
type sampledLog struct {
	logger *slog.Logger
	mu     sync.Mutex
	s      *sampler
}

func newSampledLog(logger *slog.Logger, every time.Duration) *sampledLog {
	return &sampledLog{logger: logger, s: newSampler(every, logSources)}
}

// log logs event with args if it is the first of its kind from source,
// and only counts it otherwise; detail is what a summary repeats of the
// latest one.
func (l *sampledLog) log(level slog.Level, event, source, detail string, args ...any) {
	ctx := context.Background()
	if !l.logger.Enabled(ctx, level) {
		return
	}
	l.mu.Lock()
	first := l.s.note(sampleKey{Level: level, Event: event, Source: source}, detail, time.Now())
	l.mu.Unlock()
	if first {
		l.logger.Log(ctx, level, event, args...)
	}
}

// report logs the summaries due now; final reports every count left.
func (l *sampledLog) report(final bool) {
	l.mu.Lock()
	var due []summary
	if final {
		due = l.s.flush(time.Now())
	} else {
		due = l.s.due(time.Now())
	}
	l.mu.Unlock()
	for _, s := range due {
		l.logger.Log(context.Background(), s.Level, s.Event, "from", s.Source,
			"more", s.Count, "in_last", s.Over.Round(time.Second).String(), "last", s.Last)
	}
}

// reportLoop logs the summaries due until done closes.
func (l *sampledLog) reportLoop(every time.Duration, done <-chan struct{}) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			l.report(false)
		case <-done:
			return
		}
	}
}

// writer returns an io.Writer for a log.Logger (http.Server.ErrorLog) whose
// every line is an event of source at level.
func (l *sampledLog) writer(level slog.Level, event, source string) io.Writer {
	return lineWriter(func(line string) { l.log(level, event, source, line, "detail", line) })
}

// lineWriter passes each Write, a log.Logger's line, to a func.
type lineWriter func(string)

func (w lineWriter) Write(p []byte) (int, error) {
	w(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// newRaftLogger returns an hclog.Logger for raft that writes into logger.
// Raft narrates every state change at Info; that is chatter for outlast's
// operators, so raft's Trace is dropped and its Debug and Info go to Debug.
// Its warnings and errors (a peer unreachable, an election started, a log
// write failed) keep their level: those are what an operator wants to see
// during an outage. They go through sampled, since raft repeats them for
// as long as the fault lasts (every heartbeat to a dead peer, every append
// to a full disk); Debug, which an operator turns on to see everything,
// does not.
func newRaftLogger(logger *slog.Logger, sampled *sampledLog) hclog.Logger {
	l := hclog.NewInterceptLogger(&hclog.LoggerOptions{
		Name:   "raft",
		Output: io.Discard,
		Level:  hclog.Off,
	})
	l.RegisterSink(slogSink{logger, sampled})
	return l
}

// slogSink forwards hclog records to slog.
type slogSink struct {
	logger  *slog.Logger
	sampled *sampledLog
}

// Accept implements hclog.SinkAdapter.
func (s slogSink) Accept(name string, level hclog.Level, msg string, args ...interface{}) {
	var lvl slog.Level
	switch {
	case level <= hclog.Trace:
		return
	case level <= hclog.Info:
		lvl = slog.LevelDebug
	case level == hclog.Warn:
		lvl = slog.LevelWarn
	default:
		lvl = slog.LevelError
	}
	if firstElection(msg, args) {
		lvl = slog.LevelDebug // the cluster logs "leader changed" once it has one
	}
	ctx := context.Background()
	if !s.logger.Enabled(ctx, lvl) {
		return
	}
	attrs := append([]any{"raft", name}, args...)
	if lvl < slog.LevelWarn {
		s.logger.Log(ctx, lvl, msg, attrs...)
		return
	}
	s.sampled.log(lvl, msg, name, pairs(args), attrs...)
}

// firstElection reports raft's warning that it starts an election while no
// leader was ever known: every node at its start, a single node included.
// That is how a cluster forms, not a fault; the same warning after a known
// leader fell silent keeps its level.
func firstElection(msg string, args []any) bool {
	if msg != "heartbeat timeout reached, starting election" {
		return false
	}
	for i := 0; i+1 < len(args); i += 2 {
		if args[i] == "last-leader-id" {
			return fmt.Sprint(args[i+1]) == "" // raft passes a ServerID, a string type
		}
	}
	return false
}

// pairs formats hclog's key-value arguments as key=value ones.
func pairs(args []any) string {
	var b strings.Builder
	for i := 0; i+1 < len(args); i += 2 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%v=%v", args[i], args[i+1])
	}
	return b.String()
}
