package hook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// noRedirects is the client used when Runner.Client is nil. Its attempts
// are bounded by their context, so it needs no Timeout of its own.
var noRedirects = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// body is the JSON an HTTP hook receives.
type body struct {
	Hook       string `json:"hook"`
	Service    string `json:"service"`
	Endpoint   string `json:"endpoint"`
	Epoch      uint64 `json:"epoch"`
	OldPrimary string `json:"old_primary"`
	Reason     string `json:"reason"`
	Who        string `json:"who"`
}

// runHTTP makes one call of s.URL under ctx.
func (r *Runner) runHTTP(ctx context.Context, s Spec, c Call) attempt {
	req, err := newRequest(ctx, s, c)
	if err != nil {
		return attempt{err: err, permanent: true}
	}
	client := r.Client
	if client == nil {
		client = noRedirects
	}
	resp, err := client.Do(req)
	if err != nil {
		return attempt{err: fmt.Errorf("%w: %w", ErrFailed, withoutURL(err))}
	}
	defer resp.Body.Close()
	out, readErr := readBounded(resp.Body)
	a := attempt{output: out, err: statusError(resp)}
	if a.err == nil && readErr != nil {
		a.err = fmt.Errorf("%w: reading the response: %w", ErrFailed, readErr)
	}
	return a
}

// newRequest builds the request for c, or says why s cannot be called.
func newRequest(ctx context.Context, s Spec, c Call) (*http.Request, error) {
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: url must be an absolute http or https URL", ErrSpec)
	}
	payload, err := json.Marshal(body{
		Hook: c.Hook, Service: c.Service, Endpoint: c.Endpoint, Epoch: c.Epoch,
		OldPrimary: c.OldPrimary, Reason: c.Reason, Who: c.Who,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSpec, err)
	}
	req, err := http.NewRequestWithContext(ctx, s.method(), u.String(), bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSpec, err)
	}
	for k, v := range s.Headers {
		if http.CanonicalHeaderKey(k) == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", IdempotencyKey(c))
	return req, nil
}

// IdempotencyKey is the Idempotency-Key header an HTTP hook receives:
// "<service>/<hook>/<epoch>", the same on every attempt and on every leader
// that reruns the hook for that epoch.
func IdempotencyKey(c Call) string {
	return c.Service + "/" + c.Hook + "/" + strconv.FormatUint(c.Epoch, 10)
}

// statusError is nil for a 2xx and otherwise says what came back.
func statusError(resp *http.Response) error {
	code := resp.StatusCode
	status := strconv.Itoa(code) + " " + http.StatusText(code)
	switch {
	case code >= 200 && code <= 299:
		return nil
	case code >= 300 && code <= 399:
		return fmt.Errorf("%w: HTTP %s redirecting to %s, not followed; point the hook at the final URL", ErrFailed, status, location(resp))
	default:
		return fmt.Errorf("%w: HTTP %s", ErrFailed, status)
	}
}

// location is where a redirect points, resolved against the request and
// redacted.
func location(resp *http.Response) string {
	u, err := resp.Location()
	if err != nil {
		return "(no valid Location)"
	}
	return redact(u.String())
}

// withoutURL drops the URL net/http puts in its errors: it may carry
// credentials or a token in its query string.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}

// readBounded reads at most MaxOutput bytes of r, noting whether there was
// more; the rest is never read.
func readBounded(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxOutput+1))
	return bounded(b, len(b) > MaxOutput), err
}
