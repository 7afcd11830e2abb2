package api

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"outlast/internal/api/apitest"
	"outlast/internal/config"
	"outlast/internal/state"
	"outlast/internal/wire"
)

// edited is the configuration with api.example.test's TTL raised.
var edited = strings.Replace(configYAML, "ttl: 30s", "ttl: 60s", 1)

func TestConfigGet(t *testing.T) {
	f := sample(t)
	s := serve(t, f, false)
	var got wire.ConfigDoc
	call(t, s, "GET", "/api/v1/config", readToken, "").decode(t, 200, &got)
	if got.Version != 1 || got.Hash != fileHash(t) || got.AppliedBy != "carol" || !got.AppliedAt.Equal(t0.Add(-3600e9)) {
		t.Errorf("config %+v, want version 1 by carol an hour ago", got)
	}
	if got.Config.Hash() != fileHash(t) || len(got.Config.Services) != 2 {
		t.Errorf("the config's JSON does not round-trip: hash %s, want %s", got.Config.Hash(), fileHash(t))
	}

	f.Reset() // nothing agreed yet: the node's own file, as version 0
	got = wire.ConfigDoc{}
	call(t, s, "GET", "/api/v1/config", readToken, "").decode(t, 200, &got)
	if got.Version != 0 || got.Hash != fileHash(t) || got.AppliedBy != "" {
		t.Errorf("unagreed config %+v, want version 0 with the local hash", got)
	}
}

func TestConfigValidate(t *testing.T) {
	s := serve(t, sample(t), false)
	var ok wire.Validation
	call(t, s, "POST", "/api/v1/config/validate", readToken, edited).decode(t, 200, &ok)
	if !ok.Valid || ok.Hash != parse(t, edited).Hash || ok.Problems != nil {
		t.Errorf("valid file: %+v", ok)
	}

	bad := strings.Replace(configYAML, "ttl: 30s", "ttl: soon", 1)
	bad = strings.Replace(bad, "priority: 2", "priority: 2\n        color: blue", 1)
	var v wire.Validation
	call(t, s, "POST", "/api/v1/config/validate", readToken, bad).decode(t, 422, &v)
	if v.Valid || v.Code != wire.CodeInvalidConfig || v.Error == "" || len(v.Problems) != 2 {
		t.Fatalf("invalid file: %+v, want two problems", v)
	}
	ttl := v.Problems[0]
	if ttl.Path != "services[0].ttl" || ttl.Line != 11 || ttl.Column == 0 || !strings.HasPrefix(ttl.Text, "request:11:") {
		t.Errorf("ttl problem %+v, want services[0].ttl at line 11 of the request", ttl)
	}
	if p := v.Problems[1]; !strings.Contains(p.Path, "endpoints[1]") || p.Line != 23 {
		t.Errorf("unknown field problem %+v, want one at line 23 under endpoints[1]", p)
	}

	call(t, s, "POST", "/api/v1/config/validate", readToken, "").decode(t, 422, &v)
	if len(v.Problems) != 1 || !strings.Contains(v.Problems[0].Message, "empty") {
		t.Errorf("empty body: %+v", v)
	}
	call(t, s, "POST", "/api/v1/config/validate", readToken, "zones: [").decode(t, 422, &v)
	if len(v.Problems) != 1 || !strings.Contains(v.Problems[0].Message, "YAML syntax") {
		t.Errorf("broken YAML: %+v", v)
	}
}

func TestConfigApply(t *testing.T) {
	f := sample(t)
	s := serve(t, f, false)
	var got wire.Applied
	call(t, s, "POST", "/api/v1/config/apply?base_version=1&reason=longer+ttl", adminToken, edited).decode(t, 200, &got)
	want := wire.Applied{Version: 2, Hash: parse(t, edited).Hash, Changed: true}
	if got != want {
		t.Errorf("apply: %+v, want %+v", got, want)
	}
	c := f.State().Config
	events := f.State().Events
	if c.Version != 2 || c.Who != "alice" || events[len(events)-1].Why != "longer ttl" || events[len(events)-1].Who != "alice" {
		t.Errorf("state config %+v, last event %+v: want version 2 by alice, because longer ttl", c, events[len(events)-1])
	}

	// A second operator edited version 1 too: refused, naming the current version.
	e := call(t, s, "POST", "/api/v1/config/apply?base_version=1&reason=mine", adminToken, configYAML).wantError(t, 409, wire.CodeVersionConflict)
	if !strings.Contains(e.Error, "version 2 is current") {
		t.Errorf("conflict message %q does not name the current version", e.Error)
	}
	if f.State().Config.Version != 2 {
		t.Errorf("a refused apply changed the configuration")
	}

	// The same file again changes nothing.
	call(t, s, "POST", "/api/v1/config/apply?base_version=2&reason=again", adminToken, edited).decode(t, 200, &got)
	if got != (wire.Applied{Version: 2, Hash: want.Hash}) {
		t.Errorf("reapply: %+v, want version 2 unchanged", got)
	}

	// The reason may come in a header; no base_version means no check.
	req, _ := http.NewRequest("POST", s.URL+"/api/v1/config/apply", strings.NewReader(configYAML))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("X-Outlast-Reason", "back to 30s")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || f.State().Config.Version != 3 || f.State().Events[len(f.State().Events)-1].Why != "back to 30s" {
		t.Errorf("apply with X-Outlast-Reason: %d %s", resp.StatusCode, body)
	}
}

func TestConfigApplyRefusals(t *testing.T) {
	s := serve(t, sample(t), false)
	call(t, s, "POST", "/api/v1/config/apply?base_version=1", adminToken, edited).wantError(t, 400, wire.CodeBadRequest)
	call(t, s, "POST", "/api/v1/config/apply?base_version=one&reason=x", adminToken, edited).wantError(t, 400, wire.CodeBadRequest)
	var v wire.Validation
	call(t, s, "POST", "/api/v1/config/apply?base_version=1&reason=x", adminToken, "services: 3").decode(t, 422, &v)
	if v.Valid || v.Code != wire.CodeInvalidConfig || len(v.Problems) == 0 {
		t.Errorf("invalid apply: %+v", v)
	}

	// The conflict only the state machine sees: another change committed
	// between this node's read and the proposal.
	f := sample(t)
	f.Update(func(s *apitest.Settings) {
		s.Refuse = fmt.Errorf("node: refused: %w: edited from version 1, but version 2 is current", state.ErrVersionConflict)
	})
	s = serve(t, f, false)
	call(t, s, "POST", "/api/v1/config/apply?base_version=1&reason=x", adminToken, edited).wantError(t, 409, wire.CodeVersionConflict)
}

func TestConfigTooLarge(t *testing.T) {
	s := serve(t, sample(t), false)
	huge := configYAML + "# " + strings.Repeat("x", maxConfigBody) + "\n"
	call(t, s, "POST", "/api/v1/config/validate", readToken, huge).wantError(t, 413, wire.CodeBadRequest)
}

// TestConfigValidateBoundsProblems: a file with more problems than
// config.MaxProblems gets a bounded answer that still says how many there are.
func TestConfigValidateBoundsProblems(t *testing.T) {
	s := serve(t, sample(t), false)
	bad := configYAML
	var extra strings.Builder
	for i := range config.MaxProblems + 50 {
		fmt.Fprintf(&extra, "unknown_%d: x\n", i)
	}
	var v wire.Validation
	call(t, s, "POST", "/api/v1/config/validate", readToken, bad+extra.String()).decode(t, 422, &v)
	want := fmt.Sprintf("the configuration has %d problem(s); the first %d are listed", config.MaxProblems+50, config.MaxProblems)
	if v.Error != want || len(v.Problems) != config.MaxProblems+1 {
		t.Errorf("got %q with %d entries, want %q and %d entries (the last one says how many more)", v.Error, len(v.Problems), want, config.MaxProblems+1)
	}
}

// TestConfigValidateRefusesAliasBomb is issue 12's defect 1 at the door it
// came through: a 12 KB alias bomb posted with a read token took a node to
// out of memory and a 4.4 MB error body. Now it is one short problem.
func TestConfigValidateRefusesAliasBomb(t *testing.T) {
	s := serve(t, sample(t), false)
	var bomb strings.Builder
	bomb.WriteString(configYAML)
	bomb.WriteString("  - name: s0.example.test\n    check: {type: tcp, port: 80}\n    endpoints: &E\n")
	bomb.WriteString("      - {name: e0, location: aws/r, addresses: &A [" + strings.TrimSuffix(strings.Repeat("10.0.0.1, ", 100), ", ") + "]}\n")
	for i := range 99 {
		fmt.Fprintf(&bomb, "      - {name: e%d, location: aws/r, addresses: *A}\n", i+1)
	}
	for i := 1; bomb.Len() < 12<<10; i++ {
		fmt.Fprintf(&bomb, "  - {name: s%d.example.test, check: {type: tcp, port: 80}, endpoints: *E}\n", i)
	}
	r := call(t, s, "POST", "/api/v1/config/validate", readToken, bomb.String())
	var v wire.Validation
	r.decode(t, 422, &v)
	if len(v.Problems) != 1 || !strings.Contains(v.Problems[0].Message, "alias") || len(r.body) > 4<<10 {
		t.Errorf("a 12 KB alias bomb: %d problems in a %d-byte body, want one short problem naming the alias:\n%.600s", len(v.Problems), len(r.body), r.body)
	}
}
