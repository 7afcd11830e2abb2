// Package hook runs a primary service's on_promote and on_demote hooks: one
// program or one HTTP call per attempt, with a timeout per attempt, retries
// with backoff, and output kept to a few KiB for events and logs.
//
// # The contract a hook must keep
//
// The node runs hooks on the Raft leader only, but a leader can change while
// a hook runs: the new leader runs the same hook again with the same epoch.
// A hook therefore runs at least once per epoch, sometimes more, and
// must be idempotent per epoch: promoting a replica that is already primary
// for this epoch succeeds without doing anything, and a hook given an epoch
// lower than one it has already acted on must refuse (that is the fencing
// token's job). Every run carries the epoch: OUTLAST_EPOCH for a program,
// "epoch" in the JSON body and the Idempotency-Key header
// "<service>/<hook>/<epoch>" for an HTTP call.
//
// A program is given, besides the node's environment, OUTLAST_HOOK,
// OUTLAST_SERVICE, OUTLAST_ENDPOINT, OUTLAST_EPOCH, OUTLAST_OLD_PRIMARY,
// OUTLAST_REASON and OUTLAST_WHO. It succeeds by exiting 0. An HTTP call
// succeeds with a 2xx; a redirect is not followed and counts as a failure,
// since a hook that silently lands somewhere else is not the hook the
// operator configured.
//
// # Why programs must live in the hook directory
//
// The shared configuration can be replaced through the admin API, so whoever
// holds an admin token could otherwise make every node run any command. As
// keepalived's script security does, an exec hook may only name a program
// inside Runner.Dir (node.hook_dir), a directory an operator installs on
// every node by hand: a name containing "..", or one that resolves (after
// following symlinks) outside the directory, is refused before anything
// runs, and with no hook directory every exec hook is refused. Nothing is
// run through a shell.
//
// # What an attempt may leave behind
//
// A program runs in its own process group; when the attempt ends (exit,
// timeout or cancellation) the whole group is killed, so a hook that forked
// a child in the background does not outlive its attempt. A process that
// leaves the group on purpose (setsid) is beyond reach; the wait for its
// output is bounded by a short delay. Output, stdout and stderr together or
// an HTTP response body, is kept to its first 4 KiB while it is read.
package hook
