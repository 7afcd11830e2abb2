package hook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults used when a Spec or Runner leaves a field zero.
const (
	// DefaultTimeout bounds one attempt when Spec.Timeout is zero.
	DefaultTimeout = 30 * time.Second
	// MaxOutput is how many bytes of a program's output or an HTTP
	// response body Result.Output keeps, its truncation note included.
	MaxOutput = 4 << 10
	// maxBackoff caps the default backoff between attempts.
	maxBackoff = 10 * time.Second
)

// Errors a Result.Err wraps, to be told apart with errors.Is.
var (
	// ErrSpec: the hook is not one exec command or one http(s) URL.
	ErrSpec = errors.New("invalid hook")
	// ErrNoHookDir: an exec hook was asked for but node.hook_dir is empty.
	ErrNoHookDir = errors.New("node.hook_dir is not set")
	// ErrOutsideDir: the program named by an exec hook is not inside
	// node.hook_dir (a ".." in its name, or it resolves elsewhere).
	ErrOutsideDir = errors.New("program is not inside node.hook_dir")
	// ErrTimeout: an attempt outlived Spec.Timeout and was stopped.
	ErrTimeout = errors.New("timed out")
	// ErrCancelled: the caller's context ended; no further attempt runs.
	ErrCancelled = errors.New("cancelled")
	// ErrFailed: the program exited non-zero or the server answered with
	// something other than a 2xx.
	ErrFailed = errors.New("failed")
)

// Spec is one hook as configured: either Exec or URL.
type Spec struct {
	// Exec is the program and its arguments, run without a shell. Exec[0]
	// names a program inside Runner.Dir: a path relative to it
	// ("promote-db") or an absolute path that resolves inside it, symlinks
	// followed. It runs in its own directory.
	Exec []string
	// URL is an http or https URL called with a JSON body describing the
	// Call.
	URL string
	// Method is the HTTP method (default POST).
	Method string
	// Headers are extra HTTP request headers ("Host" sets the request's
	// host); they cannot replace Content-Type or Idempotency-Key.
	Headers map[string]string
	// Timeout bounds each attempt (default 30s).
	Timeout time.Duration
	// Retries is how many more attempts follow a failed one (default 0:
	// one attempt).
	Retries int
}

// Call is what one run of a hook is about.
type Call struct {
	Hook       string // "on_promote" or "on_demote"
	Service    string
	Endpoint   string // the candidate for on_promote, the former primary for on_demote
	Epoch      uint64 // the fencing token: hooks must be idempotent per epoch
	OldPrimary string // "" at the first election
	Reason     string
	Who        string // "auto" or the operator
}

// Result is the outcome of Run.
type Result struct {
	// Attempts is how many attempts were made: 0 when ctx had ended before
	// the first. A refused or invalid hook counts one and is not retried.
	Attempts int
	// Err is nil on success; otherwise it names the hook, the endpoint and
	// what failed, and wraps one of the package's errors.
	Err error
	// Output is the last attempt's combined stdout and stderr, or its HTTP
	// response body, at most MaxOutput bytes.
	Output string
	// Took is the time Run took, backoff included.
	Took time.Duration
}

// Runner runs hooks. The zero Runner refuses exec hooks and calls HTTP hooks
// with the default client and backoff. A Runner may be used concurrently.
type Runner struct {
	// Dir is node.hook_dir: exec hooks must name programs inside it. Empty
	// refuses every exec hook.
	Dir string
	// Client makes HTTP calls. Nil uses a client that follows no redirect
	// (a client given here should not follow them either, or the hook may
	// land somewhere else); each attempt is bounded by Spec.Timeout.
	Client *http.Client
	// Backoff says how long to wait after failed attempt n (1-based). Nil
	// waits 1s, 2s, 4s… capped at 10s.
	Backoff func(attempt int) time.Duration
}

// attempt is the outcome of one try.
type attempt struct {
	err       error
	output    string
	permanent bool // retrying cannot help (a refused or invalid hook)
}

// Run runs s for c: up to 1+s.Retries attempts, waiting Backoff between
// them, until one succeeds or ctx ends. A refused or invalid hook is not
// retried. Run returns as soon as ctx ends, having stopped the attempt in
// progress.
func (r *Runner) Run(ctx context.Context, s Spec, c Call) Result {
	start := time.Now()
	var res Result
	tries := 1 + max(s.Retries, 0)
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			res.Err = r.wrap(s, c, fmt.Errorf("%w before attempt %d: %w", ErrCancelled, n, context.Cause(ctx)))
			break
		}
		res.Attempts = n
		a := r.once(ctx, s, c)
		res.Output, res.Err = a.output, a.err
		if a.err == nil || a.permanent || n >= tries || ctx.Err() != nil {
			break
		}
		if !sleep(ctx, r.backoff(n)) {
			res.Err = fmt.Errorf("%w (%w after attempt %d: %w)", res.Err, ErrCancelled, n, context.Cause(ctx))
			break
		}
	}
	res.Took = time.Since(start)
	return res
}

// once runs one attempt bounded by the spec's timeout.
func (r *Runner) once(ctx context.Context, s Spec, c Call) attempt {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	actx, cancel := context.WithTimeoutCause(ctx, timeout, fmt.Errorf("%w after %s", ErrTimeout, timeout))
	defer cancel()
	var a attempt
	switch {
	case len(s.Exec) > 0 && s.URL == "":
		a = r.runExec(actx, s, c)
	case len(s.Exec) == 0 && s.URL != "":
		a = r.runHTTP(actx, s, c)
	default:
		a = attempt{err: fmt.Errorf("%w: set exactly one of exec and url", ErrSpec), permanent: true}
	}
	if a.err != nil {
		a.err = r.wrap(s, c, stopped(ctx, actx, a.err))
	}
	return a
}

// stopped says why an attempt ended when its context did: the caller's
// context ending is a cancellation, the attempt's own deadline a timeout.
// What the attempt itself saw then (a killed process, a cancelled request)
// only follows from that and is dropped.
func stopped(ctx, actx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("%w: %w; the attempt was stopped", ErrCancelled, context.Cause(ctx))
	case actx.Err() != nil:
		return fmt.Errorf("%w; the attempt was stopped", context.Cause(actx))
	}
	return err
}

// wrap names the hook and endpoint an error is about.
func (r *Runner) wrap(s Spec, c Call, err error) error {
	return fmt.Errorf("%s hook %s for %s %s (epoch %d): %w", c.Hook, s.Describe(), c.Service, c.Endpoint, c.Epoch, err)
}

func (r *Runner) backoff(attempt int) time.Duration {
	if r.Backoff != nil {
		return r.Backoff(attempt)
	}
	return defaultBackoff(attempt)
}

// defaultBackoff is 1s, 2s, 4s… after attempts 1, 2, 3…, capped at 10s.
func defaultBackoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	if attempt > 4 {
		return maxBackoff
	}
	return min(time.Second<<(attempt-1), maxBackoff)
}

// sleep waits d and reports whether ctx was still live when it ended.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Describe names the hook for events and logs without its arguments, query
// string or credentials: "exec promote-db", "POST https://ops.example/promote".
func (s Spec) Describe() string {
	if len(s.Exec) > 0 {
		return "exec " + s.Exec[0]
	}
	if s.URL == "" {
		return "(no hook)"
	}
	return s.method() + " " + redact(s.URL)
}

// redact is raw as a URL without its credentials, query string or fragment,
// at most 200 bytes: safe to show in events and logs.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(invalid URL)"
	}
	clean := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}).String()
	if len(clean) > 200 {
		clean = strings.ToValidUTF8(clean[:200], "") + "…"
	}
	return clean
}

func (s Spec) method() string {
	if s.Method == "" {
		return http.MethodPost
	}
	return strings.ToUpper(s.Method)
}
