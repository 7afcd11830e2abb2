package httpguard

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"outlast/internal/errtest"
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
	// One error for each bad name, naming its index, and none for the
	// good name at [0].
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("error %q joins no list of errors", err)
	}
	errs := joined.Unwrap()
	if len(errs) != 4 {
		t.Fatalf("got %d errors, want one for each of the 4 bad names: %q", len(errs), err)
	}
	for i, e := range errs {
		errtest.WantMessage(t, e, fmt.Sprintf("%s[%d]: ", AllowedHostsField, i+1))
	}
	errtest.WantMessage(t, errs[1], "without scheme, port")
}
