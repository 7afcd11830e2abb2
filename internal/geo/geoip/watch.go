package geoip

import (
	"errors"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
)

// Watcher holds the last good database of one file and reloads it when the
// file changes. It starts no goroutine and reads no clock: the node calls
// Check periodically (and when the configuration changes, with a new
// Watcher for the new path or rules) and logs the errors Check returns.
//
// A reload that fails keeps the last good DB. A failure is returned once
// per change of the file, not on every Check, so a periodic caller logs a
// broken file once; Err keeps reporting it for status pages and metrics.
type Watcher struct {
	path  string
	rules []Rule
	opts  []Option

	current atomic.Pointer[DB]

	mu      sync.Mutex
	tried   stamp // the file as last seen by Check, loaded or not
	lastErr error
}

// stamp identifies a version of the file by what stat says. Replacing the
// file (the usual way: write a new one, rename it over) changes it, and so
// does rewriting it in place; both are reloads.
type stamp struct {
	exists  bool
	size    int64
	modTime int64  // nanoseconds
	errText string // a stat error other than "missing"
}

// NewWatcher returns a Watcher of the file at path; it reads nothing until
// the first Check.
func NewWatcher(path string, rules []Rule, opts ...Option) *Watcher {
	return &Watcher{path: path, rules: rules, opts: opts}
}

// Check stats the file and, when it differs from the last Check (or on the
// first), loads it. It reports whether a new DB was taken. The error is the
// failure of this Check's load; the last good DB stays current.
func (w *Watcher) Check() (reloaded bool, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := statFile(w.path)
	if s == w.tried && (w.current.Load() != nil || w.lastErr != nil) {
		return false, nil
	}
	w.tried = s
	db, err := Load(w.path, w.rules, w.opts...)
	w.lastErr = err
	if err != nil {
		return false, err
	}
	w.current.Store(db)
	return true, nil
}

// DB is the last good database, nil until a load succeeds. Safe to call
// from any goroutine.
func (w *Watcher) DB() *DB { return w.current.Load() }

// Err is the error of the last load attempt, nil when the last attempt
// succeeded: the file is missing or broken since then while DB still
// serves the last good one.
func (w *Watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastErr
}

func statFile(path string) stamp {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return stamp{}
	case err != nil:
		return stamp{errText: err.Error()}
	}
	return stamp{exists: true, size: st.Size(), modTime: st.ModTime().UnixNano()}
}
