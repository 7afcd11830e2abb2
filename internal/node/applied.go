package node

import (
	"context"
	"sync"
	"time"
)

// appliedWait is the longest a write waits for its own node to apply it
// (awaitApplied): a follower a second behind answers anyway.
const appliedWait = time.Second

// broadcast wakes everyone waiting at once: each Notify closes the channel
// that Wait handed out and starts a new one. It is how a proposer waits for
// the state machine's change hook instead of polling it.
type broadcast struct {
	mu sync.Mutex
	ch chan struct{}
}

// Wait returns a channel closed by the next Notify. Take it before looking
// at what you wait for, so that a change in between is not missed.
func (b *broadcast) Wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch == nil {
		b.ch = make(chan struct{})
	}
	return b.ch
}

// Notify wakes every Wait so far.
func (b *broadcast) Notify() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ch != nil {
		close(b.ch)
		b.ch = nil
	}
}

// awaitApplied waits until this node applied the log up to index, for at
// most appliedWait or until ctx ends: a proposal forwarded from a follower
// is committed by the leader first, and an operator who reads right after a
// write, here, should see it. It reports whether the node got there.
func (n *Node) awaitApplied(ctx context.Context, index uint64) bool {
	deadline := time.NewTimer(appliedWait)
	defer deadline.Stop()
	for {
		next := n.applied.Wait()
		if n.machine.Current().Index >= index {
			return true
		}
		select {
		case <-next:
		case <-deadline.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}
