package httpguard

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Regression for defect 11's second half: a DNS rebinding page's requests
// carry its own name as Host and were served.
func TestCheckHost(t *testing.T) {
	h, err := CheckHost([]string{"Status.Example.com.", "outlast-1.internal"}, ok)
	if err != nil {
		t.Fatal(err)
	}
	g := serve(t, h, Limits{}, Options{Plain: true})
	port := g.addr[strings.LastIndexByte(g.addr, ':'):]
	for _, tc := range []struct {
		host string
		want int
	}{
		{"127.0.0.1" + port, 200},
		{"127.0.0.1", 200},
		{"[::1]" + port, 200},
		{"192.0.2.10" + port, 200},
		{"localhost" + port, 200},
		{"LOCALHOST.", 200},
		{"status.example.com" + port, 200},
		{"outlast-1.internal", 200},
		{"evil.example" + port, 421},
		{"evil.example", 421},
		{"localhost.evil.example", 421},
		{"status.example.com.evil.example", 421},
	} {
		req, _ := http.NewRequest("GET", "http://"+g.addr+"/healthz", nil)
		req.Host = tc.host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("Host %s: %v", tc.host, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("Host %s: status %d, want %d; body %s", tc.host, resp.StatusCode, tc.want, body)
			continue
		}
		if tc.want != 421 {
			continue
		}
		var e struct{ Error, Code string }
		if err := json.Unmarshal(body, &e); err != nil || e.Code != CodeUnknownHost || !strings.Contains(e.Error, AllowedHostsField) {
			t.Errorf("Host %s: body %s, want a JSON error naming %s", tc.host, body, AllowedHostsField)
		}
	}
	http.DefaultClient.CloseIdleConnections()
}

func TestCheckHostBadNames(t *testing.T) {
	_, err := CheckHost([]string{"ok.example", "https://a.example", "b.example:8080", "", "*.example"}, ok)
	if err == nil {
		t.Fatal("bad allowed hosts accepted")
	}
	for _, want := range []string{"[1]", "[2]", "[3]", "[4]", "without scheme, port"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "[0]") {
		t.Errorf("error %q blames a good name", err)
	}
}
