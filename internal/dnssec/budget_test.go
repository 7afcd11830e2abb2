package dnssec

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestDenyLimitedSpendsOnlyFreshSignatures: over UDP a zone signs at most
// DenialRate new denials a second; cached ones are free, the allowance
// comes back with time, and Deny (TCP, the build) is never limited.
func TestDenyLimitedSpendsOnlyFreshSignatures(t *testing.T) {
	clock := time.Date(2026, 12, 5, 4, 0, 0, 0, time.UTC)
	s := newSigner(t, Options{DenialRate: 3, Clock: func() time.Time { return clock }},
		newKey(t, "example.com.", dns.ECDSAP256SHA256, true))
	deny := func(name string) error {
		_, _, err := s.DenyLimited(name+".example.com.", clock)
		return err
	}
	for i := range 3 {
		if err := deny(fmt.Sprint("n", i)); err != nil {
			t.Fatalf("fresh denial %d of 3: %v", i+1, err)
		}
	}
	if err := deny("n3"); !errors.Is(err, ErrDenialBudget) {
		t.Fatalf("a fourth fresh denial in the same second: %v, want ErrDenialBudget", err)
	}
	if err := deny("n0"); err != nil {
		t.Errorf("a cached denial with the allowance spent: %v", err)
	}
	if _, _, err := s.Deny("n4.example.com.", false, nil, clock); err != nil {
		t.Errorf("Deny (unlimited) with the allowance spent: %v", err)
	}
	clock = clock.Add(400 * time.Millisecond) // 1.2 denials' worth
	if err := deny("n5"); err != nil {
		t.Errorf("0.4 s later: %v", err)
	}
	if err := deny("n6"); !errors.Is(err, ErrDenialBudget) {
		t.Errorf("and a second one: %v, want ErrDenialBudget", err)
	}
	clock = clock.Add(time.Hour)
	for i := range 3 {
		if err := deny(fmt.Sprint("m", i)); err != nil {
			t.Fatalf("after an hour, denial %d: %v (the allowance refills to its rate, not beyond)", i+1, err)
		}
	}
	if err := deny("m3"); !errors.Is(err, ErrDenialBudget) {
		t.Errorf("after an hour, a fourth at once: %v, want ErrDenialBudget (burst is one second's worth)", err)
	}
}
