// Package clock lets outlast's timing be injected: production code takes a
// Clock, tests take a Fake and move time with Advance instead of sleeping.
package clock

import (
	"sort"
	"sync"
	"time"
)

// Clock is the subset of package time that outlast's scheduling uses.
type Clock interface {
	Now() time.Time
	// NewTimer returns a timer that fires once after d.
	NewTimer(d time.Duration) Timer
}

// Timer is a one-shot timer, like *time.Timer.
type Timer interface {
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it was still pending.
	Stop() bool
	// Reset changes the timer to fire after d.
	Reset(d time.Duration)
}

// Real is the wall clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// NewTimer wraps time.NewTimer.
func (Real) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time   { return r.t.C }
func (r realTimer) Stop() bool            { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) { r.t.Reset(d) }

// Fake is a manual clock. Time moves only when Advance is called; timers
// whose deadline is reached fire in deadline order.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

// NewFake returns a Fake clock set to start.
func NewFake(start time.Time) *Fake { return &Fake{now: start} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTimer returns a timer that fires when the fake time reaches now+d.
func (f *Fake) NewTimer(d time.Duration) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{clock: f, c: make(chan time.Time, 1), when: f.now.Add(d), active: true}
	f.timers = append(f.timers, t)
	return t
}

// Advance moves the fake time forward by d, firing every timer due on the way.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	target := f.now.Add(d)
	for {
		due := f.nextDueLocked(target)
		if due == nil {
			break
		}
		f.now = due.when
		due.active = false
		select {
		case due.c <- f.now:
		default: // the previous tick was not consumed; like time.Timer, drop it
		}
	}
	f.now = target
	f.mu.Unlock()
}

// Pending returns how many timers are waiting to fire; tests use it to wait
// until a goroutine has armed its timer before advancing.
func (f *Fake) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, t := range f.timers {
		if t.active {
			n++
		}
	}
	return n
}

func (f *Fake) nextDueLocked(target time.Time) *fakeTimer {
	active := f.timers[:0]
	for _, t := range f.timers {
		if t.active {
			active = append(active, t)
		}
	}
	f.timers = active
	sort.SliceStable(f.timers, func(i, j int) bool { return f.timers[i].when.Before(f.timers[j].when) })
	if len(f.timers) > 0 && !f.timers[0].when.After(target) {
		return f.timers[0]
	}
	return nil
}

type fakeTimer struct {
	clock  *Fake
	c      chan time.Time
	when   time.Time
	active bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	was := t.active
	t.active = false
	return was
}

func (t *fakeTimer) Reset(d time.Duration) {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	t.when = t.clock.now.Add(d)
	t.active = true
	for _, other := range t.clock.timers {
		if other == t {
			return
		}
	}
	t.clock.timers = append(t.clock.timers, t)
}
