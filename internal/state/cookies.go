package state

import (
	"encoding/hex"
	"time"
)

// CookieSecrets are the DNS server cookie secrets of the cluster, 32 hex
// digits each: every node makes its cookies with Current and still
// accepts Previous, so a rotation breaks no client (RFC 9018 5). They ride
// in the replicated state, in the clear: whoever reads the Raft log could
// make cookies that pass, which gains nothing but an exemption from rate
// limiting.
type CookieSecrets struct {
	Current  string    `json:"current"`
	Previous string    `json:"previous,omitempty"`
	At       time.Time `json:"at"`
}

// rotateCookies makes the command's secret current. No event: it is
// routine, and the secret is not for the history.
func (s *State) rotateCookies(cmd *Command) error {
	if b, err := hex.DecodeString(cmd.Cookie); err != nil || len(b) != 16 {
		return wrap(ErrInvalid, "rotate-cookies: the secret must be 32 hex digits")
	}
	next := &CookieSecrets{Current: cmd.Cookie, At: cmd.At}
	if s.Cookies != nil {
		next.Previous = s.Cookies.Current
	}
	s.Cookies = next
	return nil
}
