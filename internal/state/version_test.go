package state

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestVersionOneCommandsEncodeAsBefore: a command of a kind every older
// build knows carries no "v", so the bytes in the log are those an older
// build wrote and reads, and a command without "v" decodes as version 1.
func TestVersionOneCommandsEncodeAsBefore(t *testing.T) {
	for kind, v := range kindVersions {
		data := encoded(t, Command{Kind: kind, At: t0})
		has := bytes.Contains(data, []byte(`"v":`))
		if has != (v > 1) {
			t.Errorf("%s (version %d) encoded as %s", kind, v, data)
		}
		cmd, err := Decode(data)
		if err != nil || cmd.version() != v {
			t.Errorf("%s: decoded version %d (%v), want %d", kind, cmd.version(), err, v)
		}
	}
	if got := (Command{}).version(); got != 1 {
		t.Errorf("a command without a version is version %d, want 1", got)
	}
}

// TestEveryKindHasAVersion: every kind Apply handles is in the table, and
// none is newer than this build.
func TestEveryKindHasAVersion(t *testing.T) {
	for kind, v := range kindVersions {
		if v < 1 || v > ProtocolVersion {
			t.Errorf("%s: version %d outside 1..%d", kind, v, ProtocolVersion)
		}
		err := New().Apply(1, Command{Kind: kind, At: t0})
		if errors.Is(err, ErrUnknownCommand) {
			t.Errorf("%s is in the version table but Apply does not know it", kind)
		}
	}
}

// TestNewerCommandHaltsTheMachine: a command of a newer version, or of an
// unknown kind, is neither applied nor skipped: the Machine keeps its
// State (index included), says why, applies nothing after it and takes no
// snapshot, so no node that cannot apply an entry ends apart from the rest.
func TestNewerCommandHaltsTheMachine(t *testing.T) {
	for name, entry := range map[string]string{
		"newer version": `{"kind":"set-override","v":3,"at":"2026-01-01T00:00:00Z","override":{"endpoint":"use1","kind":"drain"}}`,
		"unknown kind":  `{"kind":"reboot","at":"2026-01-01T00:00:00Z"}`,
		"not JSON":      `{"kind":`,
	} {
		t.Run(name, func(t *testing.T) {
			m := NewMachine(nil)
			// An override that expires at once: a command that came through
			// would expire it first (half-applied).
			for i, cmd := range []Command{setConfig(0, "h1", "use1"), override(time.Second, "use1", Drain, 2*time.Second)} {
				if err := m.Apply(uint64(i+1), encoded(t, cmd)); err != nil {
					t.Fatal(err)
				}
			}
			before := marshal(t, m.Current())
			err := m.Apply(3, []byte(entry))
			var halt *Halt
			if !errors.As(err, &halt) || halt.Index != 3 || m.Halted() == nil {
				t.Fatalf("Apply = %v, want a Halt at index 3", err)
			}
			if !bytes.Equal(marshal(t, m.Current()), before) {
				t.Fatal("the entry not understood changed the state")
			}
			if err := m.Apply(4, encoded(t, Command{Kind: ClearOverride, At: t0.Add(time.Hour), Endpoint: "use1"})); !errors.As(err, &halt) {
				t.Fatalf("a halted machine applied the next entry: %v", err)
			}
			if !bytes.Equal(marshal(t, m.Current()), before) {
				t.Fatal("a halted machine changed its state")
			}
			if _, err := m.Snapshot(); err == nil {
				t.Fatal("a halted machine took a snapshot")
			}
			if err := m.Check([]byte(entry)); err == nil {
				t.Fatal("Check let through an entry that halts the machine")
			}
		})
	}
}

// TestRestoreRefusesANewerSnapshot: a snapshot carries the highest version
// of the commands behind it; a build that speaks less refuses it and keeps
// its state, and one it can read ends a halt.
func TestRestoreRefusesANewerSnapshot(t *testing.T) {
	m := NewMachine(nil)
	if err := m.Apply(1, encoded(t, setConfig(0, "h1", "use1"))); err != nil {
		t.Fatal(err)
	}
	good := marshal(t, m.Current())
	if bytes.Contains(good, []byte(`"v":`)) {
		t.Fatalf("a snapshot of version 1 commands carries a version: %s", good)
	}
	newer := append(bytes.Clone(bytes.TrimSuffix(bytes.TrimSpace(good), []byte("}"))), []byte(`,"v":3}`)...)
	if err := m.Restore(newer); !errors.Is(err, ErrNewerVersion) || !strings.Contains(err.Error(), "version 3") {
		t.Fatalf("Restore of a version 3 snapshot = %v, want ErrNewerVersion", err)
	}
	if err := m.Apply(2, []byte(`{"kind":"reboot"}`)); m.Halted() == nil {
		t.Fatalf("setup: an unknown kind did not halt the machine (%v), so the Restore below ends no halt", err)
	}
	if err := m.Restore(good); err != nil || m.Halted() != nil {
		t.Fatalf("Restore of a readable snapshot = %v, halted %v", err, m.Halted())
	}
}

// TestAllowedGatesByClusterVersion: a kind is proposed only once the
// cluster version reaches the kind's.
func TestAllowedGatesByClusterVersion(t *testing.T) {
	kindVersions["test-v3"] = 3
	defer delete(kindVersions, "test-v3")
	for _, tc := range []struct {
		kind    Kind
		cluster int
		want    error
	}{
		{SetOverride, 1, nil},
		{"test-v3", 2, ErrNotYet},
		{"test-v3", 3, nil},
		{"reboot", 9, ErrUnknownCommand},
	} {
		if err := Allowed(tc.kind, tc.cluster); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("Allowed(%s, %d) = %v, want %v", tc.kind, tc.cluster, err, tc.want)
		}
	}
}

// TestCheckGatesByTheClusterVersion: with GateBy, a kind newer than the
// cluster version is refused before it is proposed, and an unknown cluster
// version (0) gates as 1.
func TestCheckGatesByTheClusterVersion(t *testing.T) {
	m := NewMachine(nil)
	restore := encoded(t, Command{Kind: RestoreState, At: t0})
	if err := m.Check(restore); err != nil {
		t.Fatalf("ungated Check refused a version %d kind: %v", ProtocolVersion, err)
	}
	version := 0
	m.GateBy(func() int { return version })
	for v, want := range map[int]error{0: ErrNotYet, 1: ErrNotYet, 2: nil} {
		version = v
		if err := m.Check(restore); !errors.Is(err, want) || (want == nil) != (err == nil) {
			t.Errorf("cluster version %d: Check = %v, want %v", v, err, want)
		}
	}
	version = 0
	if err := m.Check(encoded(t, override(0, "use1", Drain, 0))); err != nil {
		t.Errorf("a version 1 kind was gated: %v", err)
	}
}

// TestRefusalTextIsBounded: the reason a Machine halts travels in every
// cluster status (bounded at 256 KiB); a huge kind must not fill it.
func TestRefusalTextIsBounded(t *testing.T) {
	kind := Kind(strings.Repeat("k", 1<<20))
	for _, err := range []error{Understood(Command{Kind: kind}), Understood(Command{Kind: kind, V: 9}), Allowed(kind, 2)} {
		if err == nil || len(err.Error()) > 512 {
			t.Errorf("refusal of a 1 MiB kind is %d bytes, want at most 512", len(fmt.Sprint(err)))
		}
	}
}
