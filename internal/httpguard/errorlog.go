package httpguard

import (
	"log"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// The server's error log writes at most errorLogBurst lines per
// errorLogWindow; the first line of the next window says how many it
// dropped. Five lines in ten seconds show what is happening; the 50,000th
// refused handshake adds nothing but disk.
const (
	errorLogBurst  = 5
	errorLogWindow = 10 * time.Second
	// maxErrorLine bounds a line, which may quote what a client sent.
	maxErrorLine = 512
)

// sampledLog is an io.Writer for log.Logger that passes lines to slog at
// a bounded rate.
type sampledLog struct {
	logger *slog.Logger
	now    func() time.Time

	mu      sync.Mutex
	start   time.Time // of the current window
	written int       // lines written in it
	dropped int       // lines dropped in it
}

func newErrorLog(logger *slog.Logger) *log.Logger {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &sampledLog{logger: logger.With("component", "http"), now: time.Now}
	return log.New(s, "", 0)
}

// Write logs one line of the server's error log, or counts it as dropped.
func (s *sampledLog) Write(p []byte) (int, error) {
	ok, dropped := s.admit()
	if !ok {
		return len(p), nil
	}
	line := strings.TrimSpace(string(p[:min(len(p), maxErrorLine)]))
	if dropped > 0 {
		s.logger.Warn(line, "dropped_before", dropped, "window", errorLogWindow)
	} else {
		s.logger.Warn(line)
	}
	return len(p), nil
}

// admit says whether a line may be written now, and how many lines the
// previous window dropped when this is the first of a new one.
func (s *sampledLog) admit() (ok bool, droppedBefore int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now := s.now(); now.Sub(s.start) >= errorLogWindow {
		droppedBefore = s.dropped
		s.start, s.written, s.dropped = now, 0, 0
	}
	if s.written >= errorLogBurst {
		s.dropped++
		return false, 0
	}
	s.written++
	return true, droppedBefore
}
