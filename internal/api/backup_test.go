package api

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"outlast/internal/api/apitest"
	"outlast/internal/state"
	"outlast/internal/wire"
)

// fresh is a new cluster's node: its bootstrap configuration, no history.
func fresh(t testing.TB) *apitest.Backend {
	f := apitest.New(parse(t, configYAML), apitest.Settings{Now: t0.Add(24 * time.Hour),
		Info: wire.NodeInfo{Name: "n-aws", Version: "v0.6.0-test"}})
	shared := f.Config().Shared()
	f.Apply(t, state.Command{Kind: state.SetConfig, At: t0, Who: "bootstrap", Config: &shared, ConfigHash: f.Config().Hash})
	return f
}

// takeBackup is GET /api/v1/backup of s, parsed and checked.
func takeBackup(t testing.TB, s *server) (*wire.Backup, string) {
	t.Helper()
	r := call(t, s, "GET", "/api/v1/backup", adminToken, "")
	if r.status != http.StatusOK {
		t.Fatalf("backup: %d %s", r.status, r.body)
	}
	b, err := wire.ParseBackup(r.body)
	if err != nil {
		t.Fatalf("the backup does not check: %v", err)
	}
	return b, string(r.body)
}

// TestBackupThenRestore: a backup of a cluster with an override restores
// into a new cluster's node: its configuration, overrides and history
// become the backup's, with the restore recorded after them.
func TestBackupThenRestore(t *testing.T) {
	old := sample(t)
	old.Apply(t, state.Command{Kind: state.SetOverride, At: t0, Who: "alice", Why: "maintenance",
		Override: &state.Override{Endpoint: "usc1", Kind: state.Drain}})
	b, body := takeBackup(t, serve(t, old, false))
	was := old.State()
	if b.Index != was.Index || b.ConfigHash != was.Config.Hash || b.ConfigVersion != 1 || b.OutlastVersion != "v0.5.0-test" || b.Node != "n-aws" {
		t.Errorf("backup metadata %+v, want the node's index %d and configuration", b.BackupInfo, was.Index)
	}

	f := fresh(t)
	var out wire.Restored
	call(t, serve(t, f, false), "POST", "/api/v1/restore?reason=region+lost", adminToken, body).decode(t, 200, &out)
	got := f.State()
	if !reflect.DeepEqual(got.Config, was.Config) || !reflect.DeepEqual(got.Overrides, was.Overrides) {
		t.Errorf("restored config %+v overrides %+v, want %+v %+v", got.Config, got.Overrides, was.Config, was.Overrides)
	}
	if n := len(was.Events); len(got.Events) != n+1 || !reflect.DeepEqual(got.Events[:n], was.Events) {
		t.Fatalf("restored history %+v, want the backup's and the restore", got.Events)
	}
	if e := got.Events[len(got.Events)-1]; e.Kind != state.EventRestore || e.Who != "alice" || e.Why != "region lost" {
		t.Errorf("restore event %+v, want alice's with her reason", e)
	}
	if out.ConfigHash != was.Config.Hash || out.Overrides != 1 || out.Events != len(got.Events) || out.Index != got.Index {
		t.Errorf("answer %+v", out)
	}
}

// TestRestoreRefusals: a read token, no reason, a damaged or oversized
// backup, and a cluster with history of its own (unless forced).
func TestRestoreRefusals(t *testing.T) {
	_, body := takeBackup(t, serve(t, sample(t), false))
	s := serve(t, fresh(t), false)
	const path = "/api/v1/restore?reason=dr"
	call(t, s, "GET", "/api/v1/backup", readToken, "").wantError(t, 403, wire.CodeForbidden)
	call(t, s, "POST", path, readToken, body).wantError(t, 403, wire.CodeForbidden)
	call(t, s, "POST", "/api/v1/restore", adminToken, body).wantError(t, 400, wire.CodeBadRequest)
	call(t, s, "POST", path, adminToken, strings.Replace(body, `"carol"`, `"carl"`, 1)).wantError(t, 400, wire.CodeBadRequest)
	call(t, s, "POST", path, adminToken, strings.Replace(body, `"version":1`, `"version":2`, 1)).wantError(t, 400, wire.CodeBadRequest)
	call(t, s, "POST", path, adminToken, body+strings.Repeat(" ", wire.MaxRestore)).wantError(t, 413, wire.CodeBadRequest)
	noConfig := backupOfState(t, `{"verdicts":{},"overrides":{},"members":{},"events":[],"next_event":0,"index":3}`)
	call(t, s, "POST", path, adminToken, noConfig).wantError(t, 400, wire.CodeBadRequest)

	escaped := backupOfState(t, strings.Replace(stateOf(t, body), `"why":"`, `"why":"`+strings.Repeat("<", 3<<20), 1))
	call(t, s, "POST", path, adminToken, escaped).wantError(t, 413, wire.CodeBadRequest)

	call(t, s, "POST", path, adminToken, body).decode(t, 200, &wire.Restored{})
	e := call(t, s, "POST", path, adminToken, body).wantError(t, 409, wire.CodeHasHistory)
	if !strings.Contains(e.Error, "restore by alice") {
		t.Errorf("refusal %q does not name the history", e.Error)
	}
	call(t, s, "POST", path+"&force=true", adminToken, body).decode(t, 200, &wire.Restored{})
}

// stateOf is the state text of a backup file.
func stateOf(t testing.TB, body string) string {
	b, err := wire.ParseBackup([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b.State), `"why":"`) {
		t.Fatal("the sample backup holds no event with a reason")
	}
	return string(b.State)
}

// backupOfState is a backup file holding the state text as it is.
func backupOfState(t testing.TB, st string) string {
	var buf strings.Builder
	if err := wire.WriteBackup(&buf, wire.BackupInfo{Index: 3}, func(w io.Writer) error {
		_, err := fmt.Fprint(w, st)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// FuzzRestoreBody: whatever a restore's body holds, the node answers 200,
// 400 or 413 and never panics; what it accepts is a state with a
// configuration, which the node then holds.
func FuzzRestoreBody(f *testing.F) {
	_, body := takeBackup(f, serve(f, sample(f), false))
	f.Add(body)
	f.Add(backupOfState(f, `{"config":{"version":1,"hash":"x","shared":{}},"verdicts":{},"events":null}`))
	f.Add(`{"format":1}`)
	f.Fuzz(func(t *testing.T, body string) {
		b := fresh(t)
		h := New(b, apiConfig(false), nil)
		req := httptest.NewRequest("POST", "/api/v1/restore?reason=fuzz", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+adminToken)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		switch w.Code {
		case 200:
			if b.State().Config == nil {
				t.Fatal("accepted a restore that left no configuration")
			}
		case 400, 413:
		default:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	})
}
