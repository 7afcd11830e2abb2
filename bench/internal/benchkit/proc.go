//go:build linux

package benchkit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Proc is a child process a bench started and must stop.
type Proc struct {
	Name string
	Log  string // file with its stderr, and its stdout unless Start was given a writer

	cmd   *exec.Cmd
	stdin io.Closer
	done  chan struct{}
	err   error
}

// Start starts bin with args, stderr to the file logPath and stdout to
// stdout (to logPath if nil). The child gets its own process group, so a
// Ctrl-C reaches only the bench, which stops its children in order, and
// SIGKILL should the bench die first. Its stdin is a pipe that Stop
// closes: a child that waits for EOF there ends even after a SIGKILL of
// the bench.
func Start(name, logPath string, stdout io.Writer, bin string, args ...string) (*Proc, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("benchkit: %s: %w", name, err)
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
		return nil, fmt.Errorf("benchkit: %s: %w", name, err)
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Proc{Name: name, Log: logPath, cmd: cmd, stdin: stdin, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

// StartReady starts bin like Start and waits, up to limit, for the first
// line of its stdout to begin with "ready"; it returns what follows that
// word (a server's ports, say). The rest of stdout is discarded.
func StartReady(ctx context.Context, name, logPath string, limit time.Duration, bin string, args ...string) (*Proc, string, error) {
	r, w := io.Pipe()
	p, err := Start(name, logPath, w, bin, args...)
	if err != nil {
		return nil, "", err
	}
	go func() {
		<-p.done
		w.Close() // the reader below sees EOF once the child is gone
	}()
	lines := make(chan string, 1)
	go func() {
		br := bufio.NewReader(r)
		s, _ := br.ReadString('\n')
		lines <- s
		io.Copy(io.Discard, br)
	}()
	var why error
	select {
	case s := <-lines:
		if rest, ok := strings.CutPrefix(strings.TrimSpace(s), "ready"); ok {
			return p, strings.TrimSpace(rest), nil
		}
		why = fmt.Errorf("no ready line, got %q", s)
	case <-time.After(limit):
		why = fmt.Errorf("not ready after %v", limit)
	case <-ctx.Done():
		why = ctx.Err()
	}
	p.Stop(5 * time.Second)
	return nil, "", fmt.Errorf("%s did not start: %w; last lines of %s:\n%s", name, why, logPath, p.Tail(5))
}

// Pid is the child's process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the child has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Exited says whether the child has exited.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Err is how the child ended (nil for exit status 0), once Done is closed.
func (p *Proc) Err() error {
	if !p.Exited() {
		return nil
	}
	return p.err
}

// Stop asks the child to end with SIGTERM and EOF on its stdin, kills it
// after grace, and waits for it. A nil or ended Proc is left alone.
func (p *Proc) Stop(grace time.Duration) {
	if p == nil || p.Exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	p.stdin.Close()
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Tail is the last n lines of the child's log, for error messages.
func (p *Proc) Tail(n int) string { return Tail(p.Log, n) }

// Tail is the last n lines of a file.
func Tail(path string, n int) string {
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ModuleRoot is the directory of the go.mod of the module the bench runs
// in (go run from inside the outlast repository).
func ModuleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run from inside the outlast repository (no go.mod found)")
	}
	return filepath.Dir(gomod), nil
}

// BuildOutlast builds ./cmd/outlast of that module into dir and returns
// the binary's path: the benches measure the real binary.
func BuildOutlast(ctx context.Context, dir string) (string, error) {
	root, err := ModuleRoot(ctx)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "outlast")
	if err := Run(ctx, root, "go", "build", "-o", bin, "./cmd/outlast"); err != nil {
		return "", err
	}
	return bin, nil
}

// Run runs a short command in dir ("" for this one) and returns its error
// with its output.
func Run(ctx context.Context, dir, bin string, args ...string) error {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return nil
}
