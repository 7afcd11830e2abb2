package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is a child process this bench started and must stop.
type proc struct {
	name  string
	cmd   *exec.Cmd
	stdin io.Closer
	done  chan struct{}
}

// startProc starts bin with args, stderr to logPath. The child gets its own
// process group (a Ctrl-C reaches only this bench, which stops it in order)
// and SIGKILL should this bench die first.
func startProc(name, logPath string, stdout io.Writer, bin string, args ...string) (*proc, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = stdout, logf
	if stdout == nil {
		cmd.Stdout = logf
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, stdin: stdin, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop asks the process to end with SIGTERM and kills it after grace.
func (p *proc) stop(grace time.Duration) {
	if p == nil || p.exited() {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.stdin.Close()
	select {
	case <-p.done:
	case <-time.After(grace):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// buildOutlast builds ./cmd/outlast of the module this bench runs in.
func buildOutlast(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	bin := filepath.Join(dir, "outlast")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/outlast")
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/outlast: %w\n%s", err, msg)
	}
	return bin, nil
}

// startServer starts this program again in --serve mode and waits for the
// ports it bound.
func startServer(ctx context.Context, dir string, o options) (*proc, []int, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	r, w := io.Pipe()
	p, err := startProc("server", filepath.Join(dir, "server.log"), w, self, "--serve",
		"--addr-base", o.addrBase, "--addrs", strconv.Itoa(o.perService),
		"--port-base", strconv.Itoa(o.portBase), "--ports", strconv.Itoa(o.services))
	if err != nil {
		return nil, nil, err
	}
	ports, err := readReady(ctx, r, p)
	if err != nil {
		p.stop(time.Second)
		return nil, nil, fmt.Errorf("server: %w (see %s)", err, filepath.Join(dir, "server.log"))
	}
	go io.Copy(io.Discard, r)
	return p, ports, nil
}

func readReady(ctx context.Context, r io.Reader, p *proc) ([]int, error) {
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		ready, ok := strings.CutPrefix(strings.TrimSpace(s), "ready ")
		if !ok {
			return nil, fmt.Errorf("no ready line, got %q", s)
		}
		var ports []int
		for _, f := range strings.Split(ready, ",") {
			n, err := strconv.Atoi(f)
			if err != nil {
				return nil, err
			}
			ports = append(ports, n)
		}
		return ports, nil
	case <-p.done:
		return nil, errors.New("exited before it was ready")
	case <-time.After(time.Minute):
		return nil, errors.New("not ready after a minute")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// freePort asks the kernel for a free loopback port; it can be taken by
// someone else before outlast binds it, and outlast then fails to start,
// which the bench reports.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
