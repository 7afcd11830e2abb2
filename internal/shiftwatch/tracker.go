package shiftwatch

import (
	"fmt"
	"strings"
	"time"
)

// Rule is what counts as a shift.
type Rule struct {
	// Want is satisfied by the new state's address sets. Required.
	Want Predicate
	// Consecutive is how many answers in a row must satisfy Want before a
	// nameserver counts as shifted (default 1). Failed polls do not count
	// and do not break the row.
	Consecutive int
}

// Server is one nameserver's record in a Report.
type Server struct {
	Addr string
	// Shifted says whether the nameserver shifted; At is when (see the
	// package doc), and is -1 while it has not.
	Shifted bool
	At      time.Duration
	// Polls counts every poll, Answers the NOERROR ones.
	Polls, Answers int
	// Failures counts the polls that got no answer, by Kind (index
	// Answered stays 0).
	Failures [numKinds]int
	// Flaps counts answers outside Want after the nameserver had shifted.
	Flaps int
	// Last is the latest poll's outcome.
	Last Answer

	streak      int           // answers in a row that satisfied Want
	streakStart time.Duration // when the first of them was sent
}

// Failed is the number of polls that got no answer, of every kind.
func (s *Server) Failed() int {
	n := 0
	for _, f := range s.Failures {
		n += f
	}
	return n
}

// FailureText lists the failures by kind, "3 timeout, 1 SERVFAIL", or "".
func (s *Server) FailureText() string {
	var parts []string
	for k, n := range s.Failures {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, Kind(k)))
		}
	}
	return strings.Join(parts, ", ")
}

// Report is what a watch found.
type Report struct {
	Servers []Server
	// First is the earliest shift time, valid when AnyShifted; All is the
	// latest, valid when AllShifted (every nameserver shifted).
	First, All             time.Duration
	AnyShifted, AllShifted bool
}

// Tracker decides, poll by poll, which nameservers shifted. It is pure:
// the caller sends the queries and says when each was sent.
type Tracker struct {
	rule    Rule
	servers []Server
}

// NewTracker tracks the nameservers addrs under rule.
func NewTracker(rule Rule, addrs ...string) *Tracker {
	if rule.Consecutive < 1 {
		rule.Consecutive = 1
	}
	t := &Tracker{rule: rule, servers: make([]Server, len(addrs))}
	for i, a := range addrs {
		t.servers[i] = Server{Addr: a, At: -1}
	}
	return t
}

// Observe records the outcome of a poll of nameserver i sent at sent
// (counted from the start).
func (t *Tracker) Observe(i int, sent time.Duration, a Answer) {
	s := &t.servers[i]
	s.Polls++
	s.Last = a
	if a.Kind != Answered {
		s.Failures[a.Kind]++
		return
	}
	s.Answers++
	if !t.rule.Want(a.Addrs) {
		s.streak = 0
		if s.Shifted {
			s.Flaps++
		}
		return
	}
	if s.streak == 0 {
		s.streakStart = sent
	}
	s.streak++
	if !s.Shifted && s.streak >= t.rule.Consecutive {
		s.Shifted, s.At = true, s.streakStart
	}
}

// AllShifted reports whether every nameserver shifted.
func (t *Tracker) AllShifted() bool {
	for i := range t.servers {
		if !t.servers[i].Shifted {
			return false
		}
	}
	return true
}

// Report returns a copy of what the tracker knows.
func (t *Tracker) Report() Report {
	r := Report{Servers: append([]Server(nil), t.servers...), AllShifted: len(t.servers) > 0}
	for _, s := range t.servers {
		if !s.Shifted {
			r.AllShifted = false
			continue
		}
		if !r.AnyShifted || s.At < r.First {
			r.First = s.At
		}
		r.All = max(r.All, s.At)
		r.AnyShifted = true
	}
	if !r.AllShifted {
		r.All = 0
	}
	return r
}

// pending describes the nameservers that have not shifted, for an error.
func (r Report) pending() string {
	var parts []string
	for _, s := range r.Servers {
		if s.Shifted {
			continue
		}
		if s.Polls == 0 {
			parts = append(parts, s.Addr+" (never asked)")
			continue
		}
		p := fmt.Sprintf("%s (last: %s", s.Addr, s.Last)
		if f := s.FailureText(); f != "" {
			p += "; " + f
		}
		parts = append(parts, p+")")
	}
	return strings.Join(parts, ", ")
}
