package cluster

import (
	"context"
	"io"
	"log/slog"

	"github.com/hashicorp/go-hclog"
)

// newRaftLogger returns an hclog.Logger for raft that writes into logger.
// Raft narrates every state change at Info; that is chatter for outlast's
// operators, so raft's Trace is dropped and its Debug and Info go to Debug.
// Its warnings and errors (a peer unreachable, an election started) keep
// their level: those are what an operator wants to see during an outage.
func newRaftLogger(logger *slog.Logger) hclog.Logger {
	l := hclog.NewInterceptLogger(&hclog.LoggerOptions{
		Name:   "raft",
		Output: io.Discard,
		Level:  hclog.Off,
	})
	l.RegisterSink(slogSink{logger})
	return l
}

// slogSink forwards hclog records to slog.
type slogSink struct{ logger *slog.Logger }

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
	ctx := context.Background()
	if !s.logger.Enabled(ctx, lvl) {
		return
	}
	s.logger.Log(ctx, lvl, msg, append([]any{"raft", name}, args...)...)
}
