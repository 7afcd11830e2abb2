package deploytest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The data source every panel and query names: a data-source variable, so
// the file imports and provisions unchanged.
const datasourceUID = "${DS_PROMETHEUS}"

type dashboard struct {
	SchemaVersion int     `json:"schemaVersion"`
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name       string `json:"name"`
			Type       string `json:"type"`
			Query      any    `json:"query"`
			Definition string `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	GridPos struct{ X, Y, W, H int } `json:"gridPos"`
	Targets []target                 `json:"targets"`
	Panels  []panel                  `json:"panels"` // a collapsed row's panels
}

type target struct {
	RefID      string `json:"refId"`
	Expr       string `json:"expr"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	var d dashboard
	if err := json.Unmarshal(readFile(t, dashboardFile), &d); err != nil {
		t.Fatalf("deploytest: %s is not valid JSON: %v", dashboardFile, err)
	}
	return d
}

// allPanels flattens rows, collapsed or not.
func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

func TestDashboardJSON(t *testing.T) {
	d := loadDashboard(t)
	if d.SchemaVersion < 36 || d.UID == "" || d.Title == "" {
		t.Errorf("dashboard: schemaVersion %d, uid %q, title %q: want schemaVersion >= 36 and a uid and title", d.SchemaVersion, d.UID, d.Title)
	}
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
	}
	for name, typ := range map[string]string{"DS_PROMETHEUS": "datasource", "job": "query", "instance": "query", "service": "query"} {
		if vars[name] != typ {
			t.Errorf("dashboard: variable %s is %q, want a %s variable", name, vars[name], typ)
		}
	}
	ids := map[int]string{}
	for _, p := range allPanels(d.Panels) {
		if prev, dup := ids[p.ID]; dup || p.ID == 0 {
			t.Errorf("panel %q: id %d is zero or also used by %q", p.Title, p.ID, prev)
		}
		ids[p.ID] = p.Title
		checkPanel(t, p)
	}
}

func checkPanel(t *testing.T, p panel) {
	t.Helper()
	if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
		t.Errorf("panel %q: gridPos %+v does not fit the 24-column grid", p.Title, p.GridPos)
	}
	if p.Type == "row" {
		return
	}
	if p.Title == "" || len(p.Targets) == 0 {
		t.Errorf("panel %d (%s): want a title and at least one query", p.ID, p.Type)
	}
	if p.Datasource == nil || p.Datasource.UID != datasourceUID {
		t.Errorf("panel %q: data source must be %s", p.Title, datasourceUID)
	}
	refs := map[string]bool{}
	for _, tg := range p.Targets {
		if strings.TrimSpace(tg.Expr) == "" {
			t.Errorf("panel %q: query %s has no expr", p.Title, tg.RefID)
		}
		if tg.RefID == "" || refs[tg.RefID] {
			t.Errorf("panel %q: query refId %q is empty or repeated", p.Title, tg.RefID)
		}
		refs[tg.RefID] = true
		if tg.Datasource == nil || tg.Datasource.UID != datasourceUID {
			t.Errorf("panel %q: query %s: data source must be %s", p.Title, tg.RefID, datasourceUID)
		}
	}
}

// dashboardExprs returns every panel query, keyed by panel title and refId.
func dashboardExprs(d dashboard) map[string]string {
	exprs := map[string]string{}
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			exprs[p.Title+" "+tg.RefID] = tg.Expr
		}
	}
	return exprs
}

// TestDashboardPromQL has promtool parse every panel query, with the
// dashboard's variables replaced as Grafana would, as recording rules.
func TestDashboardPromQL(t *testing.T) {
	path := promtool()
	if path == "" {
		t.Skip("promtool not on PATH (.ci/install-promtool installs it in CI): panel queries not parsed")
	}
	vars := strings.NewReplacer("$__rate_interval", "5m", "$job", ".*", "$instance", ".*", "$service", ".*")
	type record struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	var rules []record
	i := 0
	for _, expr := range dashboardExprs(loadDashboard(t)) {
		i++
		rules = append(rules, record{Record: fmt.Sprintf("dashboard_query_%d", i), Expr: vars.Replace(expr)})
	}
	doc := map[string]any{"groups": []map[string]any{{"name": "dashboard", "rules": rules}}}
	data, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "dashboard-queries.yml")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	runPromtool(t, path, "check", "rules", file)
}
