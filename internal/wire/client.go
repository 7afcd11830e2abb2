package wire

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"outlast/internal/tlsca"
)

// Client calls the API of one node.
type Client struct {
	base  *url.URL
	err   error // from parsing the address; every call returns it
	token string
	http  *http.Client
}

// ClientOption adjusts a Client.
type ClientOption func(*Client)

// WithTLSConfig sets the TLS configuration for an https address, such as
// one trusting the cluster's private CA.
func WithTLSConfig(cfg *tls.Config) ClientOption {
	return func(c *Client) {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = cfg
		c.http = &http.Client{Transport: t, Timeout: c.http.Timeout}
	}
}

// WithCAFile trusts the PEM certificates in path for an https address:
// the cluster CA, since a node serves its API with its node certificate
// off loopback. When the file cannot be used, every call fails saying why.
func WithCAFile(path string) ClientOption {
	return func(c *Client) {
		certs, err := tlsca.ReadCertificates(path)
		pool := x509.NewCertPool()
		for _, c := range certs {
			pool.AddCert(c)
		}
		if err != nil {
			if c.err == nil {
				c.err = fmt.Errorf("api: CA file: %w", err)
			}
			return
		}
		WithTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})(c)
	}
}

// WithHTTPClient replaces the HTTP client (default: one with a 30 s timeout).
func WithHTTPClient(hc *http.Client) ClientOption {
	return func(c *Client) { c.http = hc }
}

// Error is the API's refusal of a request.
type Error struct {
	Status  int    // HTTP status
	Code    string // one of the Code constants, or "" when the server said none
	Message string
	// Problems lists what is wrong with a configuration (Code invalid_config).
	Problems []Problem
}

func (e *Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("api: %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
	}
	return fmt.Sprintf("api: %d %s: %s", e.Status, e.Code, e.Message)
}

// NewClient returns a client of the node at addr: "host:port" (plain
// HTTP) or an http:// or https:// URL, possibly with a path prefix.
// token may be empty for a node whose status is public.
func NewClient(addr, token string, opts ...ClientOption) *Client {
	c := &Client{token: token, http: &http.Client{Timeout: 30 * time.Second}}
	c.base, c.err = baseURL(addr)
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// CloseIdleConnections closes the connections the client keeps for reuse.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

func baseURL(addr string) (*url.URL, error) {
	lower := strings.ToLower(addr)
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
		addr = "http://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("api: address %q: want host:port or an http(s):// URL", addr)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + Prefix
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// Status is GET /api/v1/status.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var out Status
	return &out, c.do(ctx, http.MethodGet, "status", nil, nil, nil, &out)
}

// Services is GET /api/v1/services.
func (c *Client) Services(ctx context.Context) ([]Service, error) {
	var out struct{ Services []Service }
	err := c.do(ctx, http.MethodGet, "services", nil, nil, nil, &out)
	return out.Services, err
}

// Service is GET /api/v1/services/{name}.
func (c *Client) Service(ctx context.Context, name string) (*Service, error) {
	var out Service
	return &out, c.do(ctx, http.MethodGet, "services/"+url.PathEscape(name), nil, nil, nil, &out)
}

// Answers is GET /api/v1/answers.
func (c *Client) Answers(ctx context.Context) ([]Answer, error) {
	var out struct{ Answers []Answer }
	err := c.do(ctx, http.MethodGet, "answers", nil, nil, nil, &out)
	return out.Answers, err
}

// Overrides is GET /api/v1/overrides.
func (c *Client) Overrides(ctx context.Context) ([]Override, error) {
	var out struct{ Overrides []Override }
	err := c.do(ctx, http.MethodGet, "overrides", nil, nil, nil, &out)
	return out.Overrides, err
}

// SetOverride is POST /api/v1/overrides; it returns the override as recorded.
func (c *Client) SetOverride(ctx context.Context, req OverrideRequest) (*Override, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	var out Override
	return &out, c.do(ctx, http.MethodPost, "overrides", nil, jsonBody(body), nil, &out)
}

// ClearOverride is DELETE /api/v1/overrides/{endpoint}; it returns the
// override that ended.
func (c *Client) ClearOverride(ctx context.Context, endpoint, reason string) (*Override, error) {
	var out Override
	q := url.Values{"reason": {reason}}
	return &out, c.do(ctx, http.MethodDelete, "overrides/"+url.PathEscape(endpoint), q, nil, nil, &out)
}

// Events is GET /api/v1/events: the events after since (-1 for the oldest
// held), at most limit of them (0 for the server's default).
func (c *Client) Events(ctx context.Context, since int64, limit int) (*EventPage, error) {
	q := url.Values{"since": {strconv.FormatInt(since, 10)}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out EventPage
	return &out, c.do(ctx, http.MethodGet, "events", q, nil, nil, &out)
}

// Config is GET /api/v1/config.
func (c *Client) Config(ctx context.Context) (*ConfigDoc, error) {
	var out ConfigDoc
	return &out, c.do(ctx, http.MethodGet, "config", nil, nil, nil, &out)
}

// ValidateConfig is POST /api/v1/config/validate. An invalid file is not
// an error: the Validation says Valid false and lists the problems.
func (c *Client) ValidateConfig(ctx context.Context, yaml []byte) (*Validation, error) {
	var out Validation
	err := c.do(ctx, http.MethodPost, "config/validate", nil, yamlBody(yaml), &out, &out)
	return &out, err
}

// ApplyConfig is POST /api/v1/config/apply. baseVersion is the version the
// file was edited from (0: no check); an invalid file is an *Error with
// Problems, a conflict an *Error with Status 409.
func (c *Client) ApplyConfig(ctx context.Context, yaml []byte, baseVersion uint64, reason string) (*Applied, error) {
	q := url.Values{"reason": {reason}}
	if baseVersion != 0 {
		q.Set("base_version", strconv.FormatUint(baseVersion, 10))
	}
	var out Applied
	return &out, c.do(ctx, http.MethodPost, "config/apply", q, yamlBody(yaml), nil, &out)
}

type body struct {
	contentType string
	data        []byte
}

func jsonBody(b []byte) *body { return &body{"application/json", b} }
func yamlBody(b []byte) *body { return &body{"application/yaml", b} }

// do sends one request and decodes a 2xx answer into out. invalid, when not
// nil, receives a 422 answer instead of it becoming an error.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, b *body, invalid, out any) error {
	if c.err != nil {
		return c.err
	}
	u := c.base.JoinPath(path)
	u.RawQuery = q.Encode()
	var rd io.Reader
	if b != nil {
		rd = bytes.NewReader(b.data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return fmt.Errorf("api: %w", err)
	}
	if b != nil {
		req.Header.Set("Content-Type", b.contentType)
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("api: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("api: %s %s: reading the answer: %w", method, path, err)
	}
	switch {
	case resp.StatusCode/100 == 2:
	case resp.StatusCode == http.StatusUnprocessableEntity && invalid != nil:
		out = invalid
	default:
		return errorOf(resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("api: %s %s: decoding the answer: %w", method, path, err)
	}
	return nil
}

// errorOf reads the server's error body; a proxy in between may have
// answered with something else, which then becomes the message.
func errorOf(status int, data []byte) error {
	var body struct {
		Error    string    `json:"error"`
		Code     string    `json:"code"`
		Problems []Problem `json:"problems"`
	}
	if json.Unmarshal(data, &body) != nil || body.Error == "" {
		msg := strings.TrimSpace(string(data))
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		if msg == "" {
			msg = http.StatusText(status)
		}
		return &Error{Status: status, Message: msg}
	}
	return &Error{Status: status, Code: body.Code, Message: body.Error, Problems: body.Problems}
}

// IsStatus reports whether err is an *Error with the given HTTP status.
func IsStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}
