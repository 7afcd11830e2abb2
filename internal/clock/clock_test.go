package clock

import (
	"testing"
	"time"
)

func TestFakeFiresTimersInOrder(t *testing.T) {
	start := time.Date(2021, 12, 7, 15, 30, 0, 0, time.UTC)
	f := NewFake(start)
	late, early := f.NewTimer(2*time.Second), f.NewTimer(time.Second)
	f.Advance(500 * time.Millisecond)
	select {
	case <-early.C():
		t.Fatal("a timer fired before its deadline")
	default:
	}
	f.Advance(2 * time.Second)
	if got := <-early.C(); !got.Equal(start.Add(time.Second)) {
		t.Errorf("early timer fired at %s, want start+1s", got.Sub(start))
	}
	if got := <-late.C(); !got.Equal(start.Add(2 * time.Second)) {
		t.Errorf("late timer fired at %s, want start+2s", got.Sub(start))
	}
	if f.Pending() != 0 {
		t.Errorf("fired timers still pending: %d", f.Pending())
	}
}

func TestFakeStopAndReset(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	tm := f.NewTimer(time.Second)
	if !tm.Stop() {
		t.Fatal("Stop of a pending timer must report true")
	}
	f.Advance(2 * time.Second)
	select {
	case <-tm.C():
		t.Fatal("a stopped timer fired")
	default:
	}
	tm.Reset(time.Second)
	tm.Reset(time.Second) // twice must not arm it twice
	if f.Pending() != 1 {
		t.Fatalf("pending timers = %d after Reset, want 1", f.Pending())
	}
	f.Advance(time.Second)
	if got := <-tm.C(); !got.Equal(time.Unix(3, 0)) {
		t.Errorf("reset timer fired at %s, want 3s", got)
	}
}
