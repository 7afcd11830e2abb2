package config

import (
	"errors"
	"os"
	"strings"
	"testing"

	"outlast/internal/errtest"
)

func TestAllowedHosts(t *testing.T) {
	for _, tc := range []struct {
		host string
		ok   bool
	}{
		{"status.example.com", true},
		{"ns1", true},
		{"http://status.example.com", false},
		{"status.example.com:8080", false},
		{"-bad.example.com", false},
		{"", false},
		{strings.Repeat("a", 64) + ".example.com", false},
	} {
		if got := isHostName(tc.host); got != tc.ok {
			t.Errorf("isHostName(%q) = %v, want %v", tc.host, got, tc.ok)
		}
	}
	data, err := os.ReadFile("../../examples/single-node.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "http:", "http:\n  allowed_hosts: [ok.example, \"status.example.com:443\"]", 1)
	_, err = Parse("c.yaml", []byte(text))
	// Only the second host is refused: one problem, at its path, saying why.
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("want a *config.Error, got %v", err)
	}
	if len(cerr.Problems) != 1 || cerr.Problems[0].Path != "http.allowed_hosts[1]" {
		t.Fatalf("want one problem, at http.allowed_hosts[1], got %v", err)
	}
	errtest.WantMessage(t, err, `http.allowed_hosts[1]: "status.example.com:443" is not a host name`)
}
