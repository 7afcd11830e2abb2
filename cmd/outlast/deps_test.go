package main

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// notInTheServer are packages the server binary must never link: the lab
// and its fault proxy (with the logger and router Toxiproxy brings), and
// what only tests use. A match names the rule that refused it.
var notInTheServer = []struct{ pattern, why string }{
	{`^outlast/internal/lab(/|$)`, "the demo's lab belongs to cmd/outlast-lab"},
	{`^outlast/internal/(chaos|fulldisk|deploytest|wcag|errtest|zonediff)(/|$)`, "a test-only package"},
	{`^outlast/.*test$`, "a test helper package"},
	{`^github\.com/Shopify/toxiproxy`, "the lab's fault proxy belongs to cmd/outlast-lab"},
	{`^github\.com/rs/zerolog`, "Toxiproxy's logger: the lab's, not the server's"},
	{`^github\.com/gorilla/mux`, "Toxiproxy's router: the lab's, not the server's"},
	{`^github\.com/chromedp/`, "the browser driver of the tests"},
	{`^(go\.uber\.org/goleak|pgregory\.net/rapid|github\.com/cockroachdb/datadriven)`, "a test library"},
}

// TestServerDependencies holds what `outlast serve` links, in the manner of
// tailscale's depaware: no lab or test-only package (refused with the
// import chain that brought it in), and exactly the modules reviewed in
// testdata/deps.txt.
func TestServerDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f",
		"{{.ImportPath}}\t{{with .Module}}{{.Path}}{{end}}\t{{join .Imports \" \"}}", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	imports := map[string][]string{}
	modules := map[string]string{} // module → a package of it
	for line := range strings.Lines(strings.TrimSpace(string(out))) {
		f := strings.Split(strings.TrimSuffix(line, "\n"), "\t")
		imports[f[0]] = strings.Fields(f[2])
		if f[1] != "" && f[1] != "outlast" {
			modules[f[1]] = f[0]
		}
	}
	prev := shortestPaths(imports, "outlast/cmd/outlast")
	for _, rule := range notInTheServer {
		// One error per rule, for the package closest to main: the
		// rest come in with it.
		var chain []string
		for pkg := range imports {
			if c := chainTo(prev, pkg); regexp.MustCompile(rule.pattern).MatchString(pkg) &&
				(chain == nil || len(c) < len(chain)) {
				chain = c
			}
		}
		if chain != nil {
			t.Errorf("the server binary links %s (%s), via %s", chain[len(chain)-1], rule.why, strings.Join(chain, " → "))
		}
	}
	reviewed := readModuleList(t, "testdata/deps.txt")
	for mod, pkg := range modules {
		if !slices.Contains(reviewed, mod) {
			t.Errorf("the server binary links module %s, not in testdata/deps.txt, via %s; review it, then list it there",
				mod, strings.Join(chainTo(prev, pkg), " → "))
		}
	}
	for _, mod := range reviewed {
		if _, ok := modules[mod]; !ok {
			t.Errorf("testdata/deps.txt lists %s, which the server binary no longer links: remove the line", mod)
		}
	}
}

// shortestPaths walks the import graph breadth first from root and returns,
// for every package reached, the package that first imported it.
func shortestPaths(imports map[string][]string, root string) map[string]string {
	prev := map[string]string{root: ""}
	for queue := []string{root}; len(queue) > 0; queue = queue[1:] {
		for _, next := range imports[queue[0]] {
			if _, seen := prev[next]; !seen {
				prev[next] = queue[0]
				queue = append(queue, next)
			}
		}
	}
	return prev
}

// chainTo is the import chain from the root of prev to pkg.
func chainTo(prev map[string]string, pkg string) []string {
	var chain []string
	for p := pkg; p != ""; p = prev[p] {
		chain = append(chain, p)
	}
	slices.Reverse(chain)
	return chain
}

func readModuleList(t *testing.T, path string) []string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var mods []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			mods = append(mods, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return mods
}
