package hook

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// waitDelay bounds how long an attempt waits for output after its program
// exited and its process group was killed: only a process that left the
// group (setsid) can still hold the pipe open by then.
const waitDelay = time.Second

// runExec runs s.Exec once under ctx.
func (r *Runner) runExec(ctx context.Context, s Spec, c Call) attempt {
	prog, err := r.resolve(s.Exec[0])
	if err != nil {
		return attempt{err: err, permanent: true}
	}
	out := &capture{}
	cmd := &exec.Cmd{
		Path:      prog,
		Args:      append([]string{prog}, s.Exec[1:]...),
		Env:       append(os.Environ(), env(c)...),
		Dir:       filepath.Dir(prog),
		Stdout:    out,
		Stderr:    out,
		WaitDelay: waitDelay,
	}
	err = runGroup(ctx, cmd)
	a := attempt{output: out.String()}
	if err != nil && !errors.Is(err, exec.ErrWaitDelay) {
		a.err = execError(err, a.output)
	}
	return a
}

// execError says how the program failed, quoting its last line of output.
func execError(err error, output string) error {
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return fmt.Errorf("%w: could not run: %w", ErrFailed, err)
	}
	if line := lastLine(output); line != "" {
		return fmt.Errorf("%w: %s: %s", ErrFailed, exit.ProcessState, line)
	}
	return fmt.Errorf("%w: %s", ErrFailed, exit.ProcessState)
}

// env is what a program learns about the call, besides the node's own
// environment. NUL bytes, which no environment can carry, are dropped.
func env(c Call) []string {
	vars := [][2]string{
		{"OUTLAST_HOOK", c.Hook},
		{"OUTLAST_SERVICE", c.Service},
		{"OUTLAST_ENDPOINT", c.Endpoint},
		{"OUTLAST_EPOCH", strconv.FormatUint(c.Epoch, 10)},
		{"OUTLAST_OLD_PRIMARY", c.OldPrimary},
		{"OUTLAST_REASON", c.Reason},
		{"OUTLAST_WHO", c.Who},
	}
	out := make([]string, 0, len(vars))
	for _, v := range vars {
		out = append(out, v[0]+"="+strings.ReplaceAll(v[1], "\x00", ""))
	}
	return out
}

// resolve turns an exec hook's program name into the real path of a
// regular file inside r.Dir, or says why it may not run. The path returned
// has its symlinks resolved, so what runs is what was checked.
func (r *Runner) resolve(name string) (string, error) {
	if r.Dir == "" {
		return "", fmt.Errorf("%w: exec hooks run only programs installed in node.hook_dir; set node.hook_dir to a directory present on every node, or use an http hook", ErrNoHookDir)
	}
	if name == "" || strings.Contains(name, "..") || strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("%w: %q may not be empty or contain \"..\"; name a program in %s", ErrOutsideDir, name, r.Dir)
	}
	dir, err := filepath.EvalSymlinks(r.Dir)
	if err != nil {
		return "", fmt.Errorf("%w: node.hook_dir %s: %w", ErrNoHookDir, r.Dir, err)
	}
	path := name
	if !filepath.IsAbs(name) {
		path = filepath.Join(dir, name)
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", fmt.Errorf("%w: %q: %w; install it in %s", ErrOutsideDir, name, err, r.Dir)
	}
	if !inside(dir, real) {
		return "", fmt.Errorf("%w: %q resolves to %s, outside %s; install the program in node.hook_dir", ErrOutsideDir, name, real, r.Dir)
	}
	if fi, err := os.Stat(real); err != nil || !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%w: %q is not a regular file in %s", ErrOutsideDir, name, r.Dir)
	}
	return real, nil
}

// inside reports whether path lies strictly below dir (both cleaned, with
// symlinks resolved).
func inside(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	if err != nil || rel == "." || filepath.IsAbs(rel) {
		return false
	}
	return rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
