package deploytest

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"outlast/internal/metrics"
)

var (
	registeredName = regexp.MustCompile(`Name:\s*"(outlast_[a-z0-9_]+)"`)
	outlastName    = regexp.MustCompile(`\boutlast_[a-zA-Z0-9_:]*`)
)

// registered returns the outlast_ metric names internal/metrics declares.
// It reads the source rather than the gathered registry because a vector
// with no series yet is missing from Gather; gathering checks the reading.
func registered(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "internal/metrics/*.go"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range registeredName.FindAllStringSubmatch(string(src), -1) {
			names[m[1]] = true
		}
	}
	families, err := metrics.New("test").Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if n := f.GetName(); strings.HasPrefix(n, "outlast_") && !names[n] {
			t.Fatalf("deploytest: %s is registered but not found as Name: \"...\" in internal/metrics; fix registered()", n)
		}
	}
	return names
}

// known says whether a name refers to a registered metric, a histogram's
// series included.
func known(names map[string]bool, name string) bool {
	if names[name] {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && names[base] {
			return true
		}
	}
	return false
}

func TestMetricNamesExist(t *testing.T) {
	names := registered(t)
	// Every outlast_ name anywhere in the files: queries, variables and annotation text.
	for _, file := range []string{rulesFile, ruleTestsFile, dashboardFile} {
		for _, name := range outlastName.FindAllString(string(readFile(t, file)), -1) {
			if !known(names, name) {
				t.Errorf("%s names %s, which internal/metrics does not register", file, name)
			}
		}
	}
	// Queries may use other metrics only from Prometheus itself and the Go collectors.
	exprs := dashboardExprs(loadDashboard(t))
	for _, r := range loadRules(t) {
		exprs["alert "+r.Alert] = r.Expr
	}
	for where, expr := range exprs {
		for _, name := range selectorNames(expr) {
			ok := known(names, name) || name == "up" || strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_")
			if !ok {
				t.Errorf("%s: query uses metric %q, which outlast does not export", where, name)
			}
		}
	}
}

var (
	quoted    = regexp.MustCompile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")
	braced    = regexp.MustCompile(`\{[^}]*\}|\[[^\]]*\]`)
	labelList = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	word      = regexp.MustCompile(`[A-Za-z0-9_:.$]+\s*\(?`)
)

// Words in PromQL that are not metric names: operators, modifiers and the
// aggregations, which may be followed by "by (...)" rather than "(".
var promqlWords = []string{"and", "or", "unless", "bool", "offset", "atan2", "inf", "nan",
	"sum", "min", "max", "avg", "count", "count_values", "stddev", "stdvar", "topk", "bottomk", "quantile", "group"}

// selectorNames returns the metric names a PromQL expression selects. It
// is a scanner, not a parser (the Prometheus parser is a heavy module):
// it drops strings, label matchers, ranges and label lists, then keeps the
// words that are not numbers, functions, keywords or Grafana variables.
func selectorNames(expr string) []string {
	expr = quoted.ReplaceAllString(expr, `""`)
	expr = braced.ReplaceAllString(expr, " ")
	expr = labelList.ReplaceAllString(expr, " ")
	var names []string
	for _, w := range word.FindAllString(expr, -1) {
		if strings.HasSuffix(w, "(") {
			continue // a function call
		}
		w = strings.TrimSpace(w)
		if w[0] == '$' || w[0] == '.' || (w[0] >= '0' && w[0] <= '9') || slices.Contains(promqlWords, strings.ToLower(w)) {
			continue
		}
		names = append(names, w)
	}
	return names
}

func TestSelectorNames(t *testing.T) {
	for expr, want := range map[string][]string{
		`max by (job, endpoint) (outlast_endpoint_verdict{state="up"}) == 1`:                        {"outlast_endpoint_verdict"},
		`histogram_quantile(0.99, sum by (le) (rate(x_bucket{a=~"$job"}[$__rate_interval])))`:       {"x_bucket"},
		`a == 0 and on (job, endpoint) b or ignoring (state) c * 2`:                                 {"a", "b", "c"},
		`count(count_values("version", v)) - time() < 14 * 86400 or absent(up offset 5m)`:           {"v", "up"},
		`scalar(max(idx{job=~"$job"})) - idx + group_left (x) y unless bool 1e3 > group by (l) (z)`: {"idx", "idx", "y", "z"},
	} {
		if got := selectorNames(expr); !slices.Equal(got, want) {
			t.Errorf("selectorNames(%q) = %q, want %q", expr, got, want)
		}
	}
}
