//go:build unix && !linux

package hook

import (
	"context"
	"os/exec"
	"syscall"
)

// runGroup starts cmd in a process group of its own and waits for it,
// killing the group when ctx ends first. Unlike on Linux, a background child
// of a program that exited on its own is not killed: without waitid's
// WNOWAIT the group's id may be reused once the leader is reaped.
func runGroup(ctx context.Context, cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	pid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		return <-done
	}
}
