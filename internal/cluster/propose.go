package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
)

// errTryAgain marks a proposal that surely was not taken (no leader known,
// the leader unreachable, a node that is no longer leader): it is retried.
var errTryAgain = errors.New("try again")

const (
	minRetry = 20 * time.Millisecond
	maxRetry = 250 * time.Millisecond
)

// rejectedError is a command the leader's Machine refused. On the leader it
// wraps the Machine's error; forwarded, its text and code survive.
type rejectedError struct {
	code string // the Machine's error's Code, if it has one
	text string
	err  error
}

func (e *rejectedError) Error() string        { return "cluster: " + ErrRejected.Error() + ": " + e.text }
func (e *rejectedError) Is(target error) bool { return target == ErrRejected }
func (e *rejectedError) Unwrap() error        { return e.err }

// coder is an error that names itself with a stable code, as the state
// machine's refusals do; the cluster carries the code without knowing it.
type coder interface{ Code() string }

// rejection wraps the Machine's refusal err, keeping its code.
func rejection(err error) *rejectedError {
	rej := &rejectedError{text: err.Error(), err: err}
	var c coder
	if errors.As(err, &c) {
		rej.code = c.Code()
	}
	return rej
}

// RejectionCode returns the code of the Machine's error behind an
// ErrRejected, on the leader and forwarded alike: the Machine's error
// implements interface{ Code() string }, and the code crosses the cluster
// RPC with the refusal. It returns "" when err is no rejection or the
// Machine's error had no code. The Machine's owner maps the code back to
// its own error; the cluster knows no codes.
func RejectionCode(err error) string {
	var rej *rejectedError
	if errors.As(err, &rej) {
		return rej.code
	}
	return ""
}

// Apply proposes a command and waits until it is committed and applied by
// the leader's Machine. It may be called on any node: a follower forwards
// it to the leader. Apply retries while no leader is known until ctx ends
// (then ErrNoLeader). A command the Machine refused yields ErrRejected with
// the Machine's error text and code (RejectionCode). ErrUncertain means the command may or may not
// have been committed; it is not retried.
//
// When Apply returns nil the command is applied on the leader; other nodes
// apply it as their raft catches up.
func (c *Cluster) Apply(ctx context.Context, command []byte) error {
	_, err := c.Commit(ctx, command)
	return err
}

// Commit is Apply that also returns the log index the command got, so a
// caller can wait until its own node has applied that far (read your writes
// on a follower).
//
// A Machine that is a Checker checks the command here first, on the
// proposing node, and the leader checks it again before proposing it.
func (c *Cluster) Commit(ctx context.Context, command []byte) (uint64, error) {
	if err := c.check(command); err != nil {
		return 0, err
	}
	var index uint64
	err := c.onLeader(ctx, "apply",
		func(ctx context.Context) (err error) {
			index, err = c.applyLocal(ctx, command)
			return err
		},
		func(ctx context.Context, addr string) (err error) {
			index, err = callWith(ctx, c.net.proposer, addr, pathApply, command)
			return err
		})
	return index, err
}

// Join adds a voter to the cluster, or updates the address of a member.
// Called on a follower it is forwarded to the leader; errors as for Apply.
// The new node must run with no state and no Bootstrap; raft then sends it
// the log or a snapshot.
func (c *Cluster) Join(ctx context.Context, id, addr string) error {
	if id == "" || addr == "" {
		return fmt.Errorf("cluster: join: node id and address are required")
	}
	return c.onLeader(ctx, "join",
		func(ctx context.Context) error { return c.joinLocal(ctx, id, addr) },
		func(ctx context.Context, leader string) error {
			return c.call(ctx, leader, pathJoin, memberRequest{ID: id, Address: addr})
		})
}

// Remove removes a member from the cluster. Removing the leader makes it
// step down once the change commits. The removed node is sent nothing more,
// so it usually never learns of its removal (raft shuts it down only if the
// entry reached it): stop it, or it keeps calling elections nobody answers.
// Called on a follower it is forwarded to the leader; errors as for Apply.
func (c *Cluster) Remove(ctx context.Context, id string) error {
	if id == "" {
		return fmt.Errorf("cluster: remove: node id is required")
	}
	return c.onLeader(ctx, "remove",
		func(ctx context.Context) error { return c.removeLocal(ctx, id) },
		func(ctx context.Context, leader string) error {
			return c.call(ctx, leader, pathRemove, memberRequest{ID: id})
		})
}

// onLeader runs local if this node leads, else remote with the leader's
// address, retrying both while they return errTryAgain.
func (c *Cluster) onLeader(ctx context.Context, op string, local func(context.Context) error, remote func(context.Context, string) error) error {
	wait := minRetry
	for {
		if c.isShutdown() {
			return fmt.Errorf("cluster: %s: %w", op, ErrShutdown)
		}
		id, addr := c.Leader()
		var err error
		switch {
		case id == "":
			err = fmt.Errorf("%w: no leader known", errTryAgain)
		case id == c.id:
			err = local(ctx)
		case c.net == nil:
			return fmt.Errorf("cluster: %s: leader is %s: %w", op, id, ErrNoRPC)
		default:
			err = remote(ctx, addr)
		}
		if !errors.Is(err, errTryAgain) {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("cluster: %s: %w: %w (last: %v)", op, ErrNoLeader, ctx.Err(), err)
		case <-t.C:
		}
		wait = min(2*wait, maxRetry)
	}
}

// applyLocal applies a command on this node, which should be the leader.
func (c *Cluster) applyLocal(ctx context.Context, command []byte) (uint64, error) {
	if err := c.check(command); err != nil {
		return 0, err
	}
	f := c.raft.Apply(command, enqueueTimeout(ctx))
	if err := waitFuture(ctx, f); err != nil {
		return 0, raftError("apply", err)
	}
	if err, ok := f.Response().(error); ok && err != nil {
		return 0, rejection(err)
	}
	return f.Index(), nil
}

func (c *Cluster) joinLocal(ctx context.Context, id, addr string) error {
	f := c.raft.AddVoter(raft.ServerID(id), raft.ServerAddress(addr), 0, enqueueTimeout(ctx))
	if err := waitFuture(ctx, f); err != nil {
		return raftError("join", err)
	}
	c.logger.Info("cluster: member joined", "node", id, "address", addr)
	return nil
}

func (c *Cluster) removeLocal(ctx context.Context, id string) error {
	f := c.raft.RemoveServer(raft.ServerID(id), 0, enqueueTimeout(ctx))
	if err := waitFuture(ctx, f); err != nil {
		return raftError("remove", err)
	}
	c.logger.Info("cluster: member removed", "node", id)
	return nil
}

// enqueueTimeout bounds how long raft may take to accept a proposal.
func enqueueTimeout(ctx context.Context) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		return max(time.Until(d), time.Millisecond)
	}
	return 0
}

// waitFuture waits for f or ctx, whichever comes first. A proposal raft has
// taken cannot be withdrawn, so an ended ctx makes the outcome uncertain;
// the waiting goroutine ends when raft resolves f (at the latest when it
// shuts down).
func waitFuture(ctx context.Context, f raft.Future) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrUncertain, ctx.Err())
	}
}

// raftError sorts raft's errors into retry, uncertain and final.
func raftError(op string, err error) error {
	switch {
	case errors.Is(err, ErrUncertain):
		return fmt.Errorf("cluster: %s: %w", op, err)
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrLeadershipTransferInProgress):
		return fmt.Errorf("%w: %w", errTryAgain, err)
	case errors.Is(err, raft.ErrLeadershipLost), errors.Is(err, raft.ErrAbortedByRestore):
		return fmt.Errorf("cluster: %s: %w: %w", op, ErrUncertain, err)
	case errors.Is(err, raft.ErrRaftShutdown):
		return fmt.Errorf("cluster: %s: %w", op, ErrShutdown)
	case errors.Is(err, raft.ErrEnqueueTimeout):
		return fmt.Errorf("cluster: %s: leader busy: %w", op, context.DeadlineExceeded)
	}
	return fmt.Errorf("cluster: %s: %w", op, err)
}
