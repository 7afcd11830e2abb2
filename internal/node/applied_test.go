package node

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"outlast/internal/state"
)

// TestAwaitAppliedWakesOnTheChange: a write waiting to read itself wakes
// when the state machine applies its index, at that instant (no polling
// step between), and gives up at the deadline when it never comes.
func TestAwaitAppliedWakesOnTheChange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := &Node{}
		n.machine = state.NewMachine(func(*state.State) { n.applied.Notify() })
		cmd, err := state.Encode(state.Command{Kind: state.SetMember, Member: &state.Member{Name: "n1"}})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		done := make(chan bool)
		go func() { done <- n.awaitApplied(context.Background(), 2) }()
		synctest.Wait()                    // waiting, not polling: nothing runs until the machine changes
		time.Sleep(301 * time.Millisecond) // off any polling step
		_ = n.machine.Apply(1, cmd)
		synctest.Wait()
		select {
		case <-done:
			t.Fatal("awaitApplied returned at index 1, want 2")
		default:
		}
		applied := time.Now()
		_ = n.machine.Apply(2, cmd)
		if ok := <-done; !ok || time.Since(applied) != 0 {
			t.Fatalf("awaitApplied: %v after %v, want true at the instant index 2 was applied", ok, time.Since(applied))
		}
		if waited := applied.Sub(start); waited != 301*time.Millisecond {
			t.Errorf("waited %v, want the 301ms until the apply", waited)
		}

		start = time.Now()
		if n.awaitApplied(context.Background(), 3) || time.Since(start) != appliedWait {
			t.Errorf("an index never applied: returned after %v, want false after %v", time.Since(start), appliedWait)
		}
	})
}
