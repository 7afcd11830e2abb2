package state

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"outlast/internal/model"
)

// backupOf is s in the snapshot format, as a backup carries it.
func backupOf(t *testing.T, s *State) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := s.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// freshCluster is what a new cluster holds before anyone restores: its
// bootstrap configuration, a member, a verdict of its own probes.
func freshCluster() []Command {
	return []Command{
		{Kind: SetConfig, At: t0, Who: "bootstrap", Config: shared("use1", "usw2"), ConfigHash: "h2"},
		{Kind: SetMember, At: t0, Member: &Member{Name: "m1", Address: "10.1.0.1:7946"}},
		verdict(time.Second, "usw2", model.Down),
	}
}

// TestRestoreStateTakesTheBackupsDecisions: a fresh cluster restores an
// old one's state. The configuration (version and hash), overrides and
// event history become the backup's, followed by one restore event that
// names who and why; the members and verdicts stay the running cluster's.
func TestRestoreStateTakesTheBackupsDecisions(t *testing.T) {
	old := applyAll(t, append(history(), override(7*time.Minute, "use1", Drain, 0)))
	data := backupOf(t, old)

	m := NewMachine(nil)
	applyEach(t, m, 1, freshCluster())
	before := m.Current()
	cmd := Command{Kind: RestoreState, At: t0.Add(time.Hour), Who: "carol", Why: "region lost",
		Restore: &Restore{State: data, Index: old.Index, TakenAt: t0.Add(30 * time.Minute)}}
	if err := m.Apply(10, encoded(t, cmd)); err != nil {
		t.Fatalf("restore refused: %v", err)
	}
	got := m.Current()
	if !reflect.DeepEqual(got.Config, old.Config) || !reflect.DeepEqual(got.Overrides, old.Overrides) {
		t.Errorf("config %+v overrides %+v, want the backup's %+v %+v", got.Config, got.Overrides, old.Config, old.Overrides)
	}
	if n := len(old.Events); len(got.Events) != n+1 || !reflect.DeepEqual(got.Events[:n], old.Events) {
		t.Fatalf("events %+v, want the backup's %+v and a restore", got.Events, old.Events)
	}
	last := got.Events[len(got.Events)-1]
	if last.Kind != EventRestore || last.Who != "carol" || last.Why != "region lost" || last.Index != 10 ||
		!strings.Contains(last.Detail, "configuration version 2") {
		t.Errorf("restore event %+v", last)
	}
	if !reflect.DeepEqual(got.Members, before.Members) {
		t.Errorf("members %+v, want the running cluster's %+v", got.Members, before.Members)
	}
	if v, _ := got.Verdicts.Get("usw2"); v.Health != model.Down {
		t.Errorf("usw2 %v, want the running cluster's own verdict (down)", v.Health)
	}
	if got.Index != 10 {
		t.Errorf("index %d, want 10", got.Index)
	}
	if h := got.History(); h == "" {
		t.Error("a restored state has no history: a second restore would replace it without --force")
	}
}

// TestRestoreStateRefusesHistoryUnlessForced: a cluster whose operators
// already did something is not replaced by accident; Force replaces it.
func TestRestoreStateRefusesHistoryUnlessForced(t *testing.T) {
	data := backupOf(t, applyAll(t, history()))
	m := NewMachine(nil)
	applyEach(t, m, 1, append(freshCluster(), override(time.Minute, "use1", Drain, 0)))
	cmd := Command{Kind: RestoreState, At: t0.Add(time.Hour), Who: "carol", Why: "dr", Restore: &Restore{State: data}}
	err := m.Apply(10, encoded(t, cmd))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "1 override(s)") {
		t.Fatalf("restore over history: %v, want a refusal naming the override", err)
	}
	if len(m.Current().Overrides) != 1 || m.Current().Index != 10 {
		t.Fatalf("a refused restore changed the state: %+v", m.Current())
	}
	cmd.Restore.Force = true
	if err := m.Apply(11, encoded(t, cmd)); err != nil {
		t.Fatalf("forced restore: %v", err)
	}
	if len(m.Current().Overrides) != 0 {
		t.Errorf("overrides %+v after a forced restore, want the backup's (none)", m.Current().Overrides)
	}
}

// TestRestoreStateRefusesWhatIsNoBackup: a state that does not parse or
// holds no configuration changes nothing.
func TestRestoreStateRefusesWhatIsNoBackup(t *testing.T) {
	for _, data := range []string{`{"overrides":5}`, `{"verdicts":{},"events":[]}`, `[]`, `null`} {
		m := NewMachine(nil)
		applyEach(t, m, 1, freshCluster())
		cmd := Command{Kind: RestoreState, At: t0, Restore: &Restore{State: []byte(data)}}
		if err := m.Apply(10, encoded(t, cmd)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", data, err)
		}
	}
}
