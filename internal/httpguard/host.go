package httpguard

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// AllowedHostsField is the configuration field that lists the names a node
// serves HTTP under; refusals name it so the operator knows what to change.
const AllowedHostsField = "http.allowed_hosts"

// CodeUnknownHost is the error code of a request refused for its Host.
const CodeUnknownHost = "unknown_host"

// CheckHost admits a request only when its Host header is an IP address,
// localhost, or one of allowed (names, case-insensitive, without port);
// others get 421 Misdirected Request with a JSON error body.
//
// Why: a page on evil.example can make a browser re-resolve evil.example
// to 127.0.0.1 (DNS rebinding) and then read the node's status page,
// /healthz and public API from the browser's side of the firewall, as same
// origin. Its requests still say Host: evil.example, which names no host
// the node serves. An IP address cannot be rebound and a browser resolves
// localhost itself, so those are always safe. A request without Host
// (HTTP/1.0) comes from no browser and is admitted.
func CheckHost(allowed []string, next http.Handler) (http.Handler, error) {
	names := make(map[string]bool, len(allowed))
	var errs []error
	for i, a := range allowed {
		n, err := allowedName(a)
		if err != nil {
			errs = append(errs, fmt.Errorf("httpguard: %s[%d]: %w", AllowedHostsField, i, err))
			continue
		}
		names[n] = true
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hostAllowed(r.Host, names) {
			misdirected(w, r.Host)
			return
		}
		next.ServeHTTP(w, r)
	}), nil
}

// allowedName checks one configured name and returns it normalized.
func allowedName(s string) (string, error) {
	n := normalizeName(s)
	switch {
	case n == "":
		return "", errors.New("empty name")
	case strings.ContainsAny(n, ":/[]@ *"):
		return "", fmt.Errorf("%q: want a bare host name such as status.example.com, without scheme, port, path or wildcard", s)
	}
	return n, nil
}

func normalizeName(s string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
}

// hostAllowed applies CheckHost's rule to a Host header.
func hostAllowed(host string, names map[string]bool) bool {
	if host == "" {
		return true
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	n := normalizeName(host)
	return n == "localhost" || names[n]
}

// maxQuotedHost bounds how much of a refused Host the answer repeats.
const maxQuotedHost = 255

func misdirected(w http.ResponseWriter, host string) {
	if len(host) > maxQuotedHost {
		host = host[:maxQuotedHost] + "..."
	}
	msg := fmt.Sprintf("Host %q is not a name this node serves; if it is one of yours, add it to %s in the node's configuration "+
		"(IP addresses and localhost are always accepted; the check keeps DNS rebinding pages out)", host, AllowedHostsField)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusMisdirectedRequest)
	_ = json.NewEncoder(w).Encode(struct {
		Error string `json:"error"`
		Code  string `json:"code"`
	}{msg, CodeUnknownHost})
}
