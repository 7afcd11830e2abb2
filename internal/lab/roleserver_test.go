package lab

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRoleBookFencing holds the fencing rule the hooks rely on: a newer
// epoch applies, the same epoch again changes nothing, an older one is
// refused, and only replica → primary counts as a promotion.
func TestRoleBookFencing(t *testing.T) {
	t0 := time.Unix(0, 0)
	b := roleBook{role: Primary}
	steps := []struct {
		to      Role
		epoch   uint64
		changed bool
		stale   bool
		role    Role
	}{
		{Primary, 1, false, false, Primary}, // the first election confirms the running primary
		{Primary, 1, false, false, Primary}, // a rerun
		{Replica, 2, true, false, Replica},  // demoted at the next epoch
		{Replica, 2, false, false, Replica}, // a rerun
		{Primary, 2, false, false, Replica}, // the same epoch again changes nothing
		{Primary, 1, false, true, Replica},  // a former leader's late promote: refused
		{Primary, 3, true, false, Primary},  // an operator's failback at a newer epoch
	}
	for i, s := range steps {
		changed, err := b.apply(s.to, s.epoch, t0.Add(time.Duration(i)*time.Second))
		if changed != s.changed || errors.Is(err, errStaleEpoch) != s.stale || b.role != s.role {
			t.Fatalf("step %d (%s at epoch %d): changed %v, err %v, role %s; want changed %v, stale %v, role %s",
				i, s.to, s.epoch, changed, err, b.role, s.changed, s.stale, s.role)
		}
	}
	if n := changesTo(b.changes, Primary); n != 1 || len(b.changes) != 2 || b.epoch != 3 {
		t.Errorf("promotions %d, changes %v, epoch %d; want 1 promotion, 2 changes, epoch 3", n, b.changes, b.epoch)
	}
}

// TestRoleServerHooks calls a role server as the hooks do, over HTTP on
// loopback: promote, the same call again, an older epoch (409), a body
// without an epoch (400), the check and a client's request.
func TestRoleServerHooks(t *testing.T) {
	s, err := startRoleServer("db-x", "127.0.0.1:0", Replica)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, c := range []struct {
		path, body string
		want       int
		role       Role
	}{
		{"/promote", `{"hook":"on_promote","epoch":2}`, 200, Primary},
		{"/promote", `{"hook":"on_promote","epoch":2}`, 200, Primary},
		{"/demote", `{"hook":"on_demote","epoch":1}`, 409, Primary},
		{"/demote", `{"hook":"on_demote"}`, 400, Primary},
		{"/demote", `{"hook":"on_demote","epoch":3}`, 200, Replica},
	} {
		if got := post(t, s, c.path, c.body, time.Second); got != c.want || s.Role() != c.role {
			t.Errorf("POST %s %s: %d, role %s; want %d, role %s", c.path, c.body, got, s.Role(), c.want, c.role)
		}
	}
	changes := s.Changes()
	if got := s.sample(); changesTo(changes, Primary) != 1 || changesTo(changes, Replica) != 1 || got.Epoch != 3 {
		t.Errorf("sample %+v, changes %v; want 1 promotion, 1 demotion, epoch 3", got, changes)
	}
	resp, err := http.Get("http://" + s.Addr + "/ring")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Outlast-Backend") != "db-x" {
		t.Errorf("a client's request: %d, served by %q; want 200 from db-x", resp.StatusCode, resp.Header.Get("X-Outlast-Backend"))
	}
}

// TestRoleServerFrozenDropsAbandonedCalls: a hook call to a frozen server
// times out, and the thaw does not apply it after the caller gave up;
// a call after the thaw does.
func TestRoleServerFrozenDropsAbandonedCalls(t *testing.T) {
	s, err := startRoleServer("db-x", "127.0.0.1:0", Primary)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Freeze()
	if got := post(t, s, "/demote", `{"epoch":2}`, 200*time.Millisecond); got != 0 {
		t.Fatalf("a call to a frozen server answered %d; want no answer", got)
	}
	time.Sleep(100 * time.Millisecond) // let the server see the caller hang up
	s.Thaw()
	time.Sleep(100 * time.Millisecond) // a wrongly kept call would apply now
	if s.Role() != Primary {
		t.Fatalf("the abandoned demote was applied at the thaw: role %s", s.Role())
	}
	if got := post(t, s, "/demote", `{"epoch":2}`, time.Second); got != 200 || s.Role() != Replica {
		t.Errorf("a demote after the thaw: %d, role %s; want 200, replica", got, s.Role())
	}
}

// changesTo counts the changes to role: promotions for Primary, demotions
// for Replica.
func changesTo(changes []RoleChange, role Role) int {
	n := 0
	for _, c := range changes {
		if c.Role == role {
			n++
		}
	}
	return n
}

// post sends a hook call and returns the status, 0 without an answer in time.
func post(t *testing.T, s *RoleServer, path, body string, timeout time.Duration) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", fmt.Sprintf("http://%s%s", s.Addr, path), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
