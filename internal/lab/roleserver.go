package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Role is what a role server is: the one writable primary or a replica.
type Role string

// Roles.
const (
	Primary Role = "primary"
	Replica Role = "replica"
)

// RoleChange is one change of a role server's role, as it recorded it.
type RoleChange struct {
	At    time.Time
	Role  Role
	Epoch uint64
}

// roleBook is a role server's role, kept apart from its HTTP so the
// fencing rule can be read and tested alone: a hook call carries an
// epoch; one older than the newest seen is refused (the caller is a
// former leader's late call), one equal to it changes nothing (a rerun),
// a newer one is recorded and applied.
type roleBook struct {
	role    Role
	epoch   uint64
	seen    bool // a call's epoch was recorded
	changes []RoleChange
}

// errStaleEpoch is a hook call whose epoch is older than one already seen.
var errStaleEpoch = errors.New("stale epoch")

// apply applies a promote (to = Primary) or demote (to = Replica) call
// of epoch at t, and reports whether the role changed.
func (b *roleBook) apply(to Role, epoch uint64, t time.Time) (bool, error) {
	switch {
	case epoch < b.epoch:
		return false, fmt.Errorf("%w: epoch %d is older than %d", errStaleEpoch, epoch, b.epoch)
	case epoch == b.epoch && b.seen:
		return false, nil // a rerun of a call already applied
	}
	b.epoch, b.seen = epoch, true
	if b.role == to {
		return false, nil
	}
	b.role = to
	b.changes = append(b.changes, RoleChange{At: t, Role: to, Epoch: epoch})
	return true, nil
}

// RoleServer is a small fake database server on loopback: it answers the
// service's check and the clients while up, and takes the endpoints'
// on_promote and on_demote hooks as POST /promote and POST /demote with
// the hook's JSON body, fenced by epoch (roleBook). Freeze makes it stop
// answering anything, as a host in a dead region (or under SIGSTOP) does:
// requests hang until Thaw, and one whose caller gave up meanwhile is
// dropped unanswered and unapplied.
type RoleServer struct {
	Name string
	Addr string // host:port
	srv  *http.Server
	done chan struct{}

	mu     sync.Mutex
	book   roleBook
	frozen chan struct{} // closed while not frozen
}

// startRoleServer runs a role server of the given role on addr.
func startRoleServer(name, addr string, role Role) (*RoleServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("lab: role server %s: %w", name, err)
	}
	s := &RoleServer{Name: name, Addr: ln.Addr().String(), done: make(chan struct{}), book: roleBook{role: role}}
	s.frozen = make(chan struct{})
	close(s.frozen)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /promote", func(w http.ResponseWriter, r *http.Request) { s.hook(w, r, Primary) })
	mux.HandleFunc("POST /demote", func(w http.ResponseWriter, r *http.Request) { s.hook(w, r, Replica) })
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("/", s.serve)
	s.srv = &http.Server{Handler: s.waitThawed(mux), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// waitThawed holds every request while the server is frozen. It reads
// the body first: net/http notices a caller that hung up (and cancels
// the request's context) only once the body is read, and a hook call
// whose caller gave up must not be applied at the thaw; the leader's
// rerun is what demotes the former primary.
func (s *RoleServer) waitThawed(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxHookBody))
		if err != nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.mu.Lock()
		thawed := s.frozen
		s.mu.Unlock()
		select {
		case <-thawed:
		case <-r.Context().Done():
			return // the caller gave up on a frozen server: nothing happened
		}
		h.ServeHTTP(w, r)
	})
}

func (s *RoleServer) healthz(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	role := s.book.role
	s.mu.Unlock()
	fmt.Fprintf(w, "%s: %s\n", s.Name, role)
}

// serve answers the clients: the request is served, by this server, as a
// database answers a read on either role.
func (s *RoleServer) serve(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("X-Outlast-Backend", s.Name)
	fmt.Fprintf(w, "%s: %s\n", s.Name, s.Role())
}

// maxHookBody bounds a hook call's body: the hook's JSON is a few hundred bytes.
const maxHookBody = 16 << 10

func (s *RoleServer) hook(w http.ResponseWriter, r *http.Request, to Role) {
	var call struct {
		Epoch *uint64 `json:"epoch"`
	}
	// waitThawed has read the body, at most maxHookBody bytes of it.
	if err := json.NewDecoder(r.Body).Decode(&call); err != nil || call.Epoch == nil {
		http.Error(w, "want the hook's JSON body with its epoch", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	changed, err := s.book.apply(to, *call.Epoch, time.Now())
	role, epoch := s.book.role, s.book.epoch
	s.mu.Unlock()
	if errors.Is(err, errStaleEpoch) {
		http.Error(w, s.Name+": "+err.Error(), http.StatusConflict)
		return
	}
	fmt.Fprintf(w, "%s: %s at epoch %d (changed: %v)\n", s.Name, role, epoch, changed)
}

// Role is the server's role now.
func (s *RoleServer) Role() Role {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.book.role
}

// roleSample is what the checker reads of a server at one moment.
type roleSample struct {
	Role   Role
	Epoch  uint64
	Frozen bool
}

func (s *RoleServer) sample() roleSample {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := roleSample{Role: s.book.role, Epoch: s.book.epoch}
	select {
	case <-s.frozen:
	default:
		out.Frozen = true
	}
	return out
}

// Changes are the server's role changes so far.
func (s *RoleServer) Changes() []RoleChange {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]RoleChange(nil), s.book.changes...)
}

// Freeze makes the server stop answering: requests hang until Thaw.
func (s *RoleServer) Freeze() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.frozen:
		s.frozen = make(chan struct{})
	default: // frozen already
	}
}

// Thaw lets the held requests and every new one through.
func (s *RoleServer) Thaw() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.frozen:
	default:
		close(s.frozen)
	}
}

// Close stops the server.
func (s *RoleServer) Close() {
	s.Thaw()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
	<-s.done
}

// ip is the address DNS answers for the server.
func (s *RoleServer) ip() string { h, _, _ := net.SplitHostPort(s.Addr); return h }
