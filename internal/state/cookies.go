package state

import (
	"time"

	"outlast/internal/dnscookie"
)

// CookieSecrets are the DNS server cookie secrets of the cluster, 32 hex
// digits each: every node makes its cookies with Current and accepts
// Previous and Next too. A rotation stages its secret as Next and makes
// the staged one current, so a secret is accepted by every node for a
// whole rotation before any node makes cookies with it, and still for a
// rotation after: a rotation breaks no client even on a node that applies
// it late (RFC 9018 5's three stages). They ride in the replicated state,
// in the clear: whoever reads the Raft log could make cookies that pass,
// which gains nothing but an exemption from rate limiting.
type CookieSecrets struct {
	Current  string    `json:"current"`
	Previous string    `json:"previous,omitempty"`
	Next     string    `json:"next,omitempty"`
	At       time.Time `json:"at"`
}

// rotateCookies takes the command's secret: the first becomes current at
// once (no cookie exists yet); later ones are staged as Next, and the one
// staged before becomes current. No event: it is routine, and the secret
// is not for the history.
func (s *State) rotateCookies(cmd *Command) error {
	if _, err := dnscookie.ParseSecret(cmd.Cookie); err != nil {
		return wrap(ErrInvalid, "rotate-cookies: the secret must be 32 hex digits")
	}
	c := s.Cookies
	switch {
	case c == nil:
		s.Cookies = &CookieSecrets{Current: cmd.Cookie, At: cmd.At}
	case c.Next == "":
		s.Cookies = &CookieSecrets{Current: c.Current, Previous: c.Previous, Next: cmd.Cookie, At: cmd.At}
	default:
		s.Cookies = &CookieSecrets{Current: c.Next, Previous: c.Current, Next: cmd.Cookie, At: cmd.At}
	}
	return nil
}
