package clients

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
)

// get makes one GET /v1/events to target (host:port) and says how it
// ended and, on success, which backend served it.
func (d *device) get(ctx context.Context, target string) (Class, string) {
	url := "http://" + target + "/v1/events"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Other, ""
	}
	req.Host = d.host
	resp, err := d.http.Do(req)
	if err != nil {
		return classify(err), ""
	}
	defer resp.Body.Close()
	// Read the body so a keep-alive connection can be used again and a body
	// that never ends is a timeout, as it is for a real app.
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)); err != nil {
		return classify(err), ""
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Status, ""
	}
	backend := resp.Header.Get("X-Outlast-Backend")
	if backend == "" {
		backend, _, _ = net.SplitHostPort(target) // who was called, then
	}
	return OK, backend
}

// classify names a failed request's cause.
func classify(err error) Class {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return Timeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused
	}
	return Other
}
