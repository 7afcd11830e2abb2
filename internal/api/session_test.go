package api

import (
	"encoding/base64"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// always is an inForce check that keeps every session.
func always(session) bool { return true }

func TestSessionsExpire(t *testing.T) {
	s := newSessions(10, time.Hour)
	id, ses := s.add(t0, "bob", sha(readToken))
	if !ses.expires.Equal(t0.Add(time.Hour)) {
		t.Errorf("expires %v, want %v", ses.expires, t0.Add(time.Hour))
	}
	if got, ok := s.get(t0.Add(time.Hour-time.Nanosecond), id, always); !ok || got.name != "bob" {
		t.Fatalf("a nanosecond before its end: %+v, %v; want bob's session", got, ok)
	}
	if _, ok := s.get(t0.Add(time.Hour), id, always); ok {
		t.Error("the session outlived its lifetime")
	}
	if n := s.len(); n != 0 {
		t.Errorf("an expired session was kept: %d in the store", n)
	}
}

func TestSessionsBounded(t *testing.T) {
	s := newSessions(3, time.Hour)
	var ids []string
	for i := range 4 {
		id, _ := s.add(t0.Add(time.Duration(i)*time.Minute), "bob", sha(readToken))
		ids = append(ids, id)
	}
	if n := s.len(); n != 3 {
		t.Fatalf("%d sessions held, want the bound 3", n)
	}
	now := t0.Add(10 * time.Minute)
	if _, ok := s.get(now, ids[0], always); ok {
		t.Error("the oldest session survived a login beyond the bound")
	}
	for _, id := range ids[1:] {
		if _, ok := s.get(now, id, always); !ok {
			t.Error("a newer session was evicted instead of the oldest")
		}
	}
}

// When the store is full, expired sessions make room before any live one.
func TestSessionsEvictExpiredFirst(t *testing.T) {
	s := newSessions(2, time.Hour)
	early, _ := s.add(t0, "bob", sha(readToken))
	live, _ := s.add(t0.Add(50*time.Minute), "bob", sha(readToken))
	now := t0.Add(61 * time.Minute) // early has expired, live has not
	s.add(now, "bob", sha(readToken))
	if _, ok := s.get(now, live, always); !ok {
		t.Error("a live session was evicted while an expired one could go")
	}
	if _, ok := s.get(now, early, always); ok {
		t.Error("the expired session is still there")
	}
}

// A session lasts only as long as its token: removed, or replaced under the
// same name, by the configuration SetAuth puts in force.
func TestSessionsRevokedWithTheirToken(t *testing.T) {
	s := newSessions(10, time.Hour)
	before := newAuth(apiConfig(false))
	id, _ := s.add(t0, "bob", sha(readToken))
	if _, ok := s.get(t0, id, before.holds); !ok {
		t.Fatal("bob's session is refused while his token is in force")
	}

	rotated := apiConfig(false)
	rotated.Tokens[1].SHA256 = sha("bob-new-token-0123456789")
	if _, ok := s.get(t0, id, newAuth(rotated).holds); ok {
		t.Error("bob's session survived his token being replaced")
	}
	if _, ok := s.get(t0, id, before.holds); ok {
		t.Error("a revoked session came back: it must be dropped, not skipped")
	}

	id, _ = s.add(t0, "bob", sha(readToken))
	removed := apiConfig(false)
	removed.Tokens = removed.Tokens[:1]
	if _, ok := s.get(t0, id, newAuth(removed).holds); ok {
		t.Error("bob's session survived his token being removed")
	}
	// Upper case in the configuration is the same hash.
	upper := apiConfig(false)
	upper.Tokens[1].SHA256 = strings.ToUpper(upper.Tokens[1].SHA256)
	id, _ = s.add(t0, "bob", sha(readToken))
	if _, ok := s.get(t0, id, newAuth(upper).holds); !ok {
		t.Error("a reload that only changed the hash's case ended the session")
	}
}

func TestSessionIDs(t *testing.T) {
	s := newSessions(10, time.Hour)
	seen := map[string]bool{}
	// A name with '@', which base64url never holds, so a random id cannot
	// contain it by chance (one run in about 60 did with "bob").
	const name = "bob@example.test"
	for range 100 {
		id, ses := s.add(t0, name, sha(readToken))
		raw, err := base64.RawURLEncoding.DecodeString(id)
		if err != nil || len(raw) != 32 {
			t.Fatalf("id %q: %d bytes (%v), want 32 random bytes in base64url", id, len(raw), err)
		}
		if seen[id] || seen[ses.csrf] || id == ses.csrf {
			t.Fatalf("an id or CSRF token repeated: %q", id)
		}
		seen[id], seen[ses.csrf] = true, true
		if strings.Contains(id, name) {
			t.Fatalf("the id %q carries the token's name", id)
		}
	}
	for _, bad := range []string{"", "x", strings.Repeat("A", sessionIDLen), strings.Repeat("A", 1<<16)} {
		if _, ok := s.get(t0, bad, always); ok {
			t.Errorf("id %.20q… admitted", bad)
		}
		s.remove(bad) // must not panic or remove anything
	}
	if s.len() != 10 {
		t.Errorf("%d sessions, want 10", s.len())
	}
}

func TestSessionRemove(t *testing.T) {
	s := newSessions(10, time.Hour)
	id, _ := s.add(t0, "bob", sha(readToken))
	other, _ := s.add(t0, "alice", sha(adminToken))
	s.remove(id)
	if _, ok := s.get(t0, id, always); ok {
		t.Error("a removed session is still admitted")
	}
	if _, ok := s.get(t0, other, always); !ok {
		t.Error("removing one session ended another")
	}
}

func TestAttempts(t *testing.T) {
	a := newAttempts(3, 10*time.Second, 100)
	c := netip.MustParseAddr("192.0.2.1")
	for i := range 3 {
		if ok, _ := a.take(t0, c); !ok {
			t.Fatalf("attempt %d of a burst of 3 refused", i+1)
		}
	}
	ok, wait := a.take(t0.Add(4*time.Second), c)
	if ok || wait != 6*time.Second {
		t.Fatalf("the fourth attempt: ok=%v wait=%v, want refused with 6s to wait", ok, wait)
	}
	if ok, _ := a.take(t0, netip.MustParseAddr("192.0.2.2")); !ok {
		t.Error("another client was refused for the first one's attempts")
	}
	if ok, _ := a.take(t0.Add(10*time.Second), c); !ok {
		t.Error("no attempt back after one refill period")
	}
	if ok, _ := a.take(t0.Add(19*time.Second), c); ok {
		t.Error("an attempt back before the second period ended")
	}
	if ok, _ := a.take(t0.Add(20*time.Second), c); !ok {
		t.Error("no attempt back after two refill periods")
	}
	// A success gives its attempt back.
	a.giveBack(c)
	if ok, _ := a.take(t0.Add(20*time.Second), c); !ok {
		t.Error("the attempt given back cannot be used")
	}
	// Long enough without attempts, the bucket is full again, not fuller.
	later := t0.Add(time.Hour)
	for i := range 3 {
		if ok, _ := a.take(later, c); !ok {
			t.Fatalf("after an hour, attempt %d refused", i+1)
		}
	}
	if ok, _ := a.take(later, c); ok {
		t.Error("a bucket refilled beyond its burst")
	}
}

func TestAttemptsBounded(t *testing.T) {
	a := newAttempts(1, time.Minute, 2)
	x, y, z := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("192.0.2.3")
	a.take(t0, x)
	a.take(t0.Add(time.Second), y)
	a.take(t0.Add(2*time.Second), z)
	if n := len(a.byClient); n != 2 {
		t.Fatalf("%d clients remembered, want the bound 2", n)
	}
	if _, ok := a.byClient[x]; ok {
		t.Error("the client seen longest ago was kept and a newer one forgotten")
	}
}

func TestClientOf(t *testing.T) {
	for addr, want := range map[string]string{
		"192.0.2.7:4711":                 "192.0.2.7",
		"[::ffff:192.0.2.7]:80":          "192.0.2.7",
		"[2001:db8:1:2:3:4:5:6]:443":     "2001:db8:1:2::",
		"[2001:db8:1:2:ffff::1]:443":     "2001:db8:1:2::",
		"not an address":                 "invalid IP",
		"[fe80::1%eth0]:80":              "fe80::",
		"127.0.0.1:1":                    "127.0.0.1",
		"[2001:db8:1:3:3:4:5:6]:443":     "2001:db8:1:3::",
		"[2001:db8:1:2:3:4:5:6%lo]:1234": "2001:db8:1:2::",
	} {
		if got := clientOf(addr).String(); got != want {
			t.Errorf("clientOf(%q) = %s, want %s", addr, got, want)
		}
	}
}

func TestRelative(t *testing.T) {
	for _, tc := range []struct{ from, want string }{
		{"/", "login"},
		{"/login", "login"},
		{"/status/fragment", "../login"},
		{"/a/b/c/", "../../../login"},
		{"", "/login"},
		{strings.Repeat("/x", 100), "/login"},
	} {
		if got := relative(tc.from, LoginPath); got != tc.want {
			t.Errorf("relative(%q) = %q, want %q", tc.from, got, tc.want)
		}
	}
}
