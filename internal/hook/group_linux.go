package hook

import (
	"context"
	"os/exec"
	"syscall"
	"unsafe"
)

// runGroup starts cmd in a process group of its own and waits for it. When
// ctx ends first, the group is killed. When the program exits, the group is
// killed too, so that a child it left running in the background does not
// outlive the attempt. The leader is reaped only after that kill: until
// then its pid, which is the group's id, cannot be given to another process,
// so the kill never reaches a stranger.
func runGroup(ctx context.Context, cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	pid := cmd.Process.Pid
	exited := make(chan struct{})
	go func() {
		waitExited(pid)
		close(exited)
	}()
	select {
	case <-exited:
	case <-ctx.Done():
		killGroup(pid)
		<-exited
	}
	killGroup(pid)
	return cmd.Wait()
}

// waitExited blocks until process pid has exited, without reaping it
// (waitid with WNOWAIT, as package os does before it reaps).
func waitExited(pid int) {
	const (
		pPID    = 1          // P_PID
		wNowait = 0x01000000 // WNOWAIT
	)
	var info [128]byte // siginfo_t
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid),
			uintptr(unsafe.Pointer(&info[0])), syscall.WEXITED|wNowait, 0, 0)
		if errno != syscall.EINTR {
			return
		}
	}
}

func killGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }
