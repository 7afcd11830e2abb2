package cluster

import (
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeMember feeds /join and /remove bodies, as any member may send
// them, to their decoder: it must not panic, and what it accepts must be a
// valid request.
func FuzzDecodeMember(f *testing.F) {
	for _, seed := range []string{
		`{"id":"n4","address":"10.0.0.4:7000"}`,
		`{"id":"n4"}`,
		`{"id":"","address":"x"}`,
		`{"id":"n4","address":"10.0.0.4:7000"} {}`,
		`{"id":"n4","extra":1}`,
		`{"id":"n\u0000"}`,
		`[`, `null`, ``,
	} {
		f.Add([]byte(seed), true)
		f.Add([]byte(seed), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, join bool) {
		m, err := decodeMember(data, join)
		if err != nil {
			return
		}
		if m.ID == "" || len(m.ID) > maxMemberID || !utf8.ValidString(m.ID) {
			t.Fatalf("accepted id %q", m.ID)
		}
		if join || m.Address != "" {
			if _, _, err := net.SplitHostPort(m.Address); err != nil {
				t.Fatalf("accepted address %q: %v", m.Address, err)
			}
		}
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if m2, err := decodeMember(again, join); err != nil || m2 != m {
			t.Fatalf("re-encoded %s: got %+v, %v; want %+v", again, m2, err, m)
		}
	})
}

// FuzzDecodeReply feeds the leader's replies to forwarded proposals to
// their decoder: no panic, and no error text beyond the bound.
func FuzzDecodeReply(f *testing.F) {
	for _, seed := range []string{
		`{"code":"ok","index":12}`,
		`{"code":"rejected","error":"bad config"}`,
		`{"code":"rejected","error":"conflict","rejection":"version_conflict"}`,
		`{"code":"rejected","rejection":"` + strings.Repeat("x", 65) + `"}`,
		`{"code":"retry"}`,
		`{"error":"x"}`,
		`{"code":"failed","error":"` + strings.Repeat("é", 600) + `"}`,
		`{"code":1}`, `{}`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := decodeReply(data)
		if err != nil {
			return
		}
		if rep.Code == "" || len(rep.Error) > maxReplyError+len("...") || len(rep.Rejection) > maxRejectionCode {
			t.Fatalf("accepted code %q with %d bytes of error and %d of rejection code", rep.Code, len(rep.Error), len(rep.Rejection))
		}
	})
}

// FuzzDecodeStatus feeds a peer's Status to its decoder.
func FuzzDecodeStatus(f *testing.F) {
	st, _ := json.Marshal(Status{ID: "n1", State: "Leader", Members: []Member{{ID: "n1", Address: "a:1", Suffrage: "Voter", Leader: true}}})
	f.Add(st)
	f.Add([]byte(`{"members":[` + strings.Repeat(`{},`, maxStatusMembers) + `{}]}`))
	f.Add([]byte(`{"persist_failing_since":"2026-12-01T10:00:00Z","persist_error":"log store: full"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := decodeStatus(data)
		if err == nil && len(s.Members) > maxStatusMembers {
			t.Fatalf("accepted %d members", len(s.Members))
		}
	})
}

// TestMemberRequestBounded: the leader reads at most maxMemberBody of a
// member request, and refuses one that says nothing valid.
func TestMemberRequestBounded(t *testing.T) {
	nodes := newTCPCluster(t, newTestCA(t, "cluster"), 1)
	n := leaderOf(t, nodes)
	for _, tc := range []struct{ name, body string }{
		// Valid but for its size: only maxMemberBody refuses it.
		{"too long", `{"id":"n9","address":"10.0.0.9:7000"}` + strings.Repeat(" ", maxMemberBody)},
		{"no address", `{"id":"n9"}`},
		{"control characters", `{"id":"n\n9","address":"10.0.0.9:7000"}`},
	} {
		req, err := newRequest(testCtx(t), http.MethodPost, n.addr, pathJoin, []byte(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		status, data, err := roundTrip(n.c.net.client, req, maxReplyBody)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if status != http.StatusBadRequest || !strings.Contains(string(data), "bad member request") {
			t.Errorf("%s: got %d %s, want 400 bad member request", tc.name, status, data)
		}
	}
	if got := voters(n.c.Status()); got != "n1" {
		t.Errorf("voters: got %q, want n1 alone", got)
	}
}
