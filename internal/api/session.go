package api

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"
)

// Browser sessions for the status page. A browser cannot send a bearer
// header when a person opens a URL, so the page offers a login form: the
// token goes in once, and a random session id comes back in a cookie. The
// cookie holds nothing but that id; the node keeps what it stands for.
const (
	// SessionLifetime is how long a login lasts, counted from the login
	// (not from the last request): a stolen cookie dies within a working day.
	SessionLifetime = 12 * time.Hour
	// MaxSessions bounds the sessions a node keeps; a login beyond it ends
	// the oldest one (after the expired ones).
	MaxSessions = 1024
	// sessionIDBytes is the id's entropy: 256 bits from crypto/rand.
	sessionIDBytes = 32
)

// sessionIDLen is the id's length as the cookie carries it (unpadded
// base64url); a cookie of any other length is refused before it is hashed.
var sessionIDLen = base64.RawURLEncoding.EncodedLen(sessionIDBytes)

// session is what a session id stands for.
type session struct {
	// name is the name of the token the login presented. Access is checked
	// against the tokens in force on every request, so a reload that
	// removes the token ends the session.
	name string
	// sum is that token's configured hash, so a reload that gives the name
	// a new token ends the session too. It is in the configuration already;
	// the token itself is kept nowhere.
	sum string
	// csrf is the logout form's token (random, per session).
	csrf    string
	created time.Time
	expires time.Time
}

// sessionKey is how the store knows a session: the SHA-256 of its id, so
// the store never holds a value a browser could present.
type sessionKey [sha256.Size]byte

// sessions is the session store. It reads no clock: every method takes the
// time, so its tests are pure.
type sessions struct {
	mu   sync.Mutex
	byID map[sessionKey]session
	max  int
	ttl  time.Duration
}

func newSessions(limit int, ttl time.Duration) *sessions {
	return &sessions{byID: make(map[sessionKey]session), max: limit, ttl: ttl}
}

// add starts a session for the token named name (hash sum) and returns its
// id, to be given to the browser and kept nowhere else.
func (s *sessions) add(now time.Time, name, sum string) (id string, ses session) {
	id = randomID()
	ses = session{name: name, sum: sum, csrf: randomID(), created: now, expires: now.Add(s.ttl)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byID) >= s.max {
		s.makeRoom(now)
	}
	s.byID[keyOf(id)] = ses
	return id, ses
}

// makeRoom drops the expired sessions and, if none was, the oldest one.
// It scans every session, which is cheap at MaxSessions and happens only
// when the store is full.
func (s *sessions) makeRoom(now time.Time) {
	var oldest sessionKey
	var oldestAt time.Time
	dropped := false
	for k, v := range s.byID {
		switch {
		case !now.Before(v.expires):
			delete(s.byID, k)
			dropped = true
		case oldestAt.IsZero() || v.created.Before(oldestAt):
			oldest, oldestAt = k, v.created
		}
	}
	if !dropped && !oldestAt.IsZero() {
		delete(s.byID, oldest)
	}
}

// get returns the session id stands for if it has not expired and inForce
// says its token is still one the node accepts. A session that fails
// either is removed.
func (s *sessions) get(now time.Time, id string, inForce func(session) bool) (session, bool) {
	if len(id) != sessionIDLen {
		return session{}, false
	}
	k := keyOf(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	ses, ok := s.byID[k]
	if !ok {
		return session{}, false
	}
	if !now.Before(ses.expires) || !inForce(ses) {
		delete(s.byID, k)
		return session{}, false
	}
	return ses, true
}

// remove ends the session id stands for, if there is one.
func (s *sessions) remove(id string) {
	if len(id) != sessionIDLen {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, keyOf(id))
}

// len is how many sessions the store holds, expired ones not yet dropped included.
func (s *sessions) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}

func keyOf(id string) sessionKey { return sha256.Sum256([]byte(id)) }

// randomID returns 256 random bits as unpadded base64url. crypto/rand's
// Read never fails (it crashes the program when the system's source does).
func randomID() string {
	b := make([]byte, sessionIDBytes)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
