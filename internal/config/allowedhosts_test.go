package config

import (
	"os"
	"strings"
	"testing"
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
	if err == nil || !strings.Contains(err.Error(), "http.allowed_hosts[1]: \"status.example.com:443\" is not a host name") ||
		strings.Contains(err.Error(), "allowed_hosts[0]") {
		t.Errorf("want only http.allowed_hosts[1] refused, got %v", err)
	}
}
