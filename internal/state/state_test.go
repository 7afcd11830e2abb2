package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"outlast/internal/primary"

	"outlast/internal/config"
	"outlast/internal/model"
)

var t0 = time.Date(2021, 12, 7, 15, 30, 0, 0, time.UTC)

func shared(endpoints ...string) *config.Shared {
	svc := config.Service{Name: "api.example.test.", Type: model.TypeA, TTL: 5 * time.Second, Policy: config.PolicyFailover,
		MaxAnswers: 8, WhenAllDown: config.AllDownServeAll}
	for i, name := range endpoints {
		w := uint32(1)
		svc.Endpoints = append(svc.Endpoints, config.Endpoint{Name: name, Priority: i + 1, Weight: &w,
			Location:  model.Location{Provider: "aws", Region: fmt.Sprintf("r%d", i)},
			Addresses: []netip.Addr{netip.AddrFrom4([4]byte{192, 0, 2, byte(i + 1)})}})
	}
	return &config.Shared{Services: []config.Service{svc}}
}

func setConfig(at time.Duration, hash string, endpoints ...string) Command {
	return Command{Kind: SetConfig, At: t0.Add(at), Who: "ops", Config: shared(endpoints...), ConfigHash: hash}
}

func verdict(at time.Duration, endpoint string, h model.Health) Command {
	return Command{Kind: SetVerdicts, At: t0.Add(at), Who: "leader", Verdicts: []model.Verdict{{
		Endpoint: endpoint, Health: h, Since: t0.Add(at), DownVotes: 2, Voters: 3,
		Evidence: []model.Evidence{{Vantage: "n1", State: h, At: t0.Add(at), Fresh: true,
			Last: model.Result{Reason: model.ReasonTimeout}}},
	}}}
}

func override(at time.Duration, endpoint string, kind OverrideKind, expires time.Duration) Command {
	o := &Override{Endpoint: endpoint, Kind: kind}
	if expires > 0 {
		o.Expires = t0.Add(expires)
	}
	return Command{Kind: SetOverride, At: t0.Add(at), Who: "alice", Why: "maintenance", Override: o}
}

// history is a log that touches every command kind.
func history() []Command {
	return []Command{
		setConfig(0, "h1", "use1", "usw2", "usc1"),
		{Kind: SetMember, At: t0, Member: &Member{Name: "n1", Address: "10.0.0.1:7946", Location: model.Location{Provider: "aws", Region: "us-east-1"}}},
		verdict(time.Second, "use1", model.Down),
		override(2*time.Second, "usw2", Drain, time.Minute),
		override(3*time.Second, "usc1", ForceUp, 0),
		{Kind: ExpireOverrides, At: t0.Add(2 * time.Minute)},
		{Kind: ClearOverride, At: t0.Add(3 * time.Minute), Who: "bob", Endpoint: "usc1"},
		setConfig(4*time.Minute, "h2", "use1", "usw2"),
		verdict(5*time.Minute, "usc1", model.Down), // decided under the old config: dropped
		{Kind: RemoveMember, At: t0.Add(6 * time.Minute), Member: &Member{Name: "n1"}},
	}
}

// fataler is what applyAll and marshal need of *testing.T and *rapid.T.
type fataler interface{ Fatal(args ...any) }

func applyAll(t fataler, cmds []Command) *State {
	s := New()
	for i, cmd := range cmds {
		data, err := Encode(cmd)
		if err != nil {
			t.Fatal(err)
		}
		decoded, err := Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		_ = s.Apply(uint64(i+1), decoded)
	}
	return s
}

func marshal(t fataler, s *State) []byte {
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSameLogSameState(t *testing.T) {
	a, b := applyAll(t, history()), applyAll(t, history())
	if !bytes.Equal(marshal(t, a), marshal(t, b)) {
		t.Fatalf("the same log gave two states:\n%s\n%s", marshal(t, a), marshal(t, b))
	}
	if a.Config.Version != 2 || a.Config.Hash != "h2" {
		t.Errorf("config version/hash = %d/%s, want 2/h2", a.Config.Version, a.Config.Hash)
	}
	if _, ok := a.Verdicts.Get("usc1"); ok {
		t.Error("a verdict for an endpoint the config no longer has must be dropped")
	}
	if v, _ := a.Verdicts.Get("use1"); v.Health != model.Down || len(a.Overrides) != 0 || len(a.Members) != 0 {
		t.Errorf("unexpected final state: verdicts %v overrides %v members %v", plain(a.Verdicts), a.Overrides, a.Members)
	}
	var kinds []string
	for _, e := range a.Events {
		kinds = append(kinds, e.Kind)
	}
	want := "[config member verdict drain force-up expire-drain clear-force-up config member-removed]"
	if got := fmt.Sprint(kinds); got != want {
		t.Errorf("events %s, want %s", got, want)
	}
}

func TestOverridesShapeHealthAndServices(t *testing.T) {
	s := applyAll(t, []Command{
		setConfig(0, "h1", "use1", "usw2"),
		verdict(0, "use1", model.Up),
		override(time.Second, "use1", ForceDown, time.Hour),
		override(time.Second, "usw2", Drain, 0),
	})
	if h := s.Health("use1", t0.Add(time.Minute)); h != model.Down {
		t.Errorf("force-down in force: health %s, want down", h)
	}
	if h := s.Health("use1", t0.Add(2*time.Hour)); h != model.Up {
		t.Errorf("force-down expired: health %s, want the verdict, up", h)
	}
	services := s.Services(t0.Add(time.Minute))
	if !services[0].Endpoints[1].Drained {
		t.Error("a drain override must drain the endpoint for steering")
	}
	if s.Config.Shared.Services[0].Endpoints[1].Drained {
		t.Error("Services must not edit the configuration held in the state")
	}
	if got := s.NextExpiry(); !got.Equal(t0.Add(time.Hour+time.Second)) && !got.Equal(t0.Add(time.Hour)) {
		t.Errorf("next expiry %s", got)
	}
}

func TestApplyErrorsLeaveStateUnchanged(t *testing.T) {
	s := applyAll(t, []Command{setConfig(0, "h1", "use1")})
	before := marshal(t, s)
	for _, tc := range []struct {
		cmd  Command
		want error
	}{
		{override(time.Second, "nope", Drain, 0), ErrUnknownEndpoint},
		{override(time.Second, "use1", "pause", 0), ErrInvalid},
		{Command{Kind: ClearOverride, At: t0, Endpoint: "use1"}, ErrInvalid},
		{Command{Kind: "reboot", At: t0}, ErrUnknownCommand},
		{Command{Kind: SetConfig, At: t0, Config: shared("use1"), ConfigHash: "h9", BaseVersion: 7}, ErrVersionConflict},
	} {
		if err := s.Apply(1, tc.cmd); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.cmd.Kind, err, tc.want)
		}
	}
	if after := marshal(t, s); !bytes.Equal(before, after) {
		t.Errorf("failed commands changed the state:\n%s\n%s", before, after)
	}
}

func TestEventsAreBounded(t *testing.T) {
	cmds := []Command{setConfig(0, "h1", "use1")}
	for i := range MaxEvents + 10 {
		h := model.Up
		if i%2 == 0 {
			h = model.Down
		}
		cmds = append(cmds, verdict(time.Duration(i)*time.Second, "use1", h))
	}
	s := applyAll(t, cmds)
	if len(s.Events) != MaxEvents || s.Events[len(s.Events)-1].Seq != uint64(MaxEvents+10) {
		t.Errorf("events: %d kept, last seq %d; want %d kept and seq %d", len(s.Events), s.Events[len(s.Events)-1].Seq, MaxEvents, MaxEvents+10)
	}
}

func TestMachineSnapshotRestore(t *testing.T) {
	var seen []uint64
	m := NewMachine(func(s *State) { seen = append(seen, s.Index) })
	for i, cmd := range history() {
		data, _ := Encode(cmd)
		_ = m.Apply(uint64(i+1), data)
	}
	restored := NewMachine(nil)
	if err := restored.Restore(persist(t, m)); err != nil {
		t.Fatal(err)
	}
	if a, b := marshal(t, m.Current()), marshal(t, restored.Current()); !bytes.Equal(a, b) {
		t.Fatalf("restored state differs:\n%s\n%s", a, b)
	}
	if len(seen) != len(history()) {
		t.Errorf("onChange called %d times, want once per command (%d)", len(seen), len(history()))
	}
}

// persist is the snapshot raft would write of m now: a capture, then its
// serialization.
func persist(t fataler, m *Machine) []byte {
	snap, err := m.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := snap.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestPropertyDeterministic: any sequence of commands, applied twice or
// restored from a snapshot midway, gives the same state.
func TestPropertyDeterministic(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cmds := rapid.SliceOfN(commands(), 1, 40).Draw(t, "cmds")
		cut := rapid.IntRange(0, len(cmds)).Draw(t, "cut")

		whole := applyAll(t, cmds)
		first := NewMachine(nil)
		for i, cmd := range cmds[:cut] {
			data, _ := Encode(cmd)
			_ = first.Apply(uint64(i+1), data)
		}
		resumed := NewMachine(nil)
		if err := resumed.Restore(persist(t, first)); err != nil {
			t.Fatal(err)
		}
		for i, cmd := range cmds[cut:] {
			data, _ := Encode(cmd)
			_ = resumed.Apply(uint64(cut+i+1), data)
		}
		if a, b := marshal(t, whole), marshal(t, resumed.Current()); !bytes.Equal(a, b) {
			t.Fatalf("state after a snapshot at %d differs:\n%s\n%s", cut, a, b)
		}
		// The snapshot's streamed bytes are what encoding/json writes for
		// the State, with a config or without one.
		if a, b := persist(t, first), marshal(t, first.Current()); !bytes.Equal(a, b) {
			t.Fatalf("a snapshot's bytes differ from the State's JSON:\n%s\n%s", a, b)
		}
	})
}

// commands generates commands over three endpoints: every kind, each at a
// random time, so overrides expire along the way.
func commands() *rapid.Generator[Command] {
	endpoints := []string{"a", "b", "c"}
	return rapid.Custom(func(t *rapid.T) Command {
		at := time.Duration(rapid.IntRange(0, 600).Draw(t, "at")) * time.Second
		ep := rapid.SampledFrom(endpoints).Draw(t, "endpoint")
		switch rapid.IntRange(0, 13).Draw(t, "kind") {
		case 0:
			n := rapid.IntRange(1, 3).Draw(t, "n")
			return setConfig(at, fmt.Sprint("h", n), endpoints[:n]...)
		case 1:
			return verdict(at, ep, rapid.SampledFrom([]model.Health{model.Up, model.Down}).Draw(t, "h"))
		case 2:
			kind := rapid.SampledFrom([]OverrideKind{Drain, ForceUp, ForceDown}).Draw(t, "ok")
			return override(at, ep, kind, time.Duration(rapid.IntRange(0, 600).Draw(t, "exp"))*time.Second)
		case 3:
			return Command{Kind: ClearOverride, At: t0.Add(at), Endpoint: ep}
		case 4:
			return Command{Kind: ExpireOverrides, At: t0.Add(at)}
		case 5:
			return Command{Kind: SetMember, At: t0.Add(at), Member: &Member{Name: ep, Address: ep + ":1"}}
		case 6:
			return Command{Kind: RemoveMember, At: t0.Add(at), Member: &Member{Name: ep}}
		case 7: // refused: the state keeps all but the index
			return Command{Kind: ClearOverride, At: t0.Add(at), Endpoint: "nowhere"}
		case 8: // refused unless edited from the current version
			c := setConfig(at, fmt.Sprint("b", rapid.IntRange(0, 3).Draw(t, "hash")), endpoints[:2]...)
			c.BaseVersion = uint64(rapid.IntRange(1, 4).Draw(t, "base"))
			return c
		case 10:
			return Command{Kind: SetConfig, At: t0.Add(at), Config: sharedPrimary(endpoints...), ConfigHash: "p"}
		case 11: // a change of primary, often refused
			kind := rapid.SampledFrom([]primary.Kind{primary.Promote, primary.Promoted, primary.Abandon, primary.Fenced, primary.Adopt}).Draw(t, "pk")
			who := rapid.SampledFrom([]string{primary.Auto, "alice"}).Draw(t, "who")
			return change(at, primary.Command{Kind: kind, Candidate: ep, Epoch: uint64(rapid.IntRange(0, 4).Draw(t, "epoch")),
				Who: who, Reason: "r", BreakGlass: who != primary.Auto && rapid.Bool().Draw(t, "glass")})
		case 12:
			return Command{Kind: SetGate, At: t0.Add(at), Who: "alice", Why: "w", Gate: &GateChange{Name: "maint", On: rapid.Bool().Draw(t, "on")}}
		case 13:
			r := &PrimaryReport{Service: svcName, Held: rapid.SampledFrom([]string{"", "split"}).Draw(t, "held")}
			if rapid.Bool().Draw(t, "hook") {
				r.Hook = &HookRun{Hook: "on_promote", Endpoint: ep, OK: rapid.Bool().Draw(t, "ok"), Output: strings.Repeat("x", rapid.IntRange(0, 3000).Draw(t, "out"))}
			}
			return Command{Kind: ReportPrimary, At: t0.Add(at), Who: "leader", Report: r}
		default: // several verdicts in one command, as the leader sends them
			up := verdict(at, ep, model.Up)
			down := verdict(at, rapid.SampledFrom(endpoints).Draw(t, "other"), model.Down)
			up.Verdicts = append(up.Verdicts, down.Verdicts...)
			return up
		}
	})
}
