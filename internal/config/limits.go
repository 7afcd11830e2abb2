package config

import (
	"fmt"
	"reflect"
	"slices"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// The limits below bound what Parse will read. A configuration reaches
// outlast from operators' files but also from the API (config validate and
// apply), so Parse treats it as untrusted input: every limit is checked
// before the memory it protects is allocated, and each error names the limit.
//
// What a large legitimate configuration needs, measured with the generator in
// limits_test.go (go test -run LargestLegit -v ./internal/config/), every
// service sharing one anchored check block: 100 services of 100 endpoints
// (10,000 endpoints) is 0.66 MB of YAML and expands to 82,821 nodes and
// 0.44 MB of values; 2,000 services of 6 endpoints (12,000 endpoints) is
// 0.95 MB, 152,021 nodes and 0.78 MB of values. Both load, the first in
// 0.17 to 0.19 s on a quiet 2-core VM, allocating 38 MB (go test -run '^$'
// -bench BenchmarkLargestLegitConfig -benchmem -count 3 ./internal/config/).
const (
	// MaxFileSize is the largest configuration accepted, in bytes (1 MiB).
	// yaml.v3 builds its node tree at about 120 bytes per byte of the
	// densest input (a flow list of one-character items), so this keeps
	// the parse of any accepted file near 125 MB in the worst case, while
	// fitting 12,000 endpoints written one per line.
	MaxFileSize = 1 << 20

	// MaxExpandedNodes is the most YAML nodes (mappings, lists, keys and
	// values) a configuration may have once every alias is replaced by the
	// value it names: 262,144, 1.7 times the 12,000-endpoint configuration
	// above. Aliases are followed without being copied by yaml.v3, so a few
	// kilobytes of nested anchors could otherwise stand for billions of
	// values; the count is taken before anything is decoded, so a document
	// over the limit costs only its parse (a 12 KB alias bomb: 0.5 MB and
	// about 3 ms, BenchmarkAliasBomb with the command above). A document just under the
	// limit costs what a flat file of that many nodes would: an 8 KB one
	// built to stay under it allocates 40 MB to decode, 80 MB when every
	// value in it is wrong, less than parsing the densest 1 MiB file.
	MaxExpandedNodes = 1 << 18

	// MaxExpandedBytes bounds the text of every scalar value summed over the
	// expanded document (4 MiB), for the same reason: one alias of a long
	// string repeated in many places would multiply it in memory.
	MaxExpandedBytes = 4 << 20

	// MaxProblems is how many problems an *Error lists; beyond it the last
	// entry says how many more there are. An operator fixes the first ones
	// and checks again; an error of 100 lines is still readable.
	MaxProblems = 100
)

// maxDepth bounds nesting as the decoder sees it, aliases included. The
// deepest configuration field is six levels down (services[].endpoints[].
// addresses[]); deeper documents are refused rather than walked, which also
// keeps the walk's recursion small whatever aliases do.
const maxDepth = 64

// maxQuoted is how much of a value written by the user a problem quotes
// (a DNS name has at most 253 characters); maxMessage bounds a whole
// message. With them an *Error is at most about (MaxProblems+1) × 1.3 KB
// (maxErrorLine), whatever the input.
const (
	maxQuoted    = 256
	maxMessage   = 1024
	maxErrorLine = maxMessage + 2*maxQuoted + 40 // + file name
)

// expansion walks a document the way the decoder will, with every alias
// replaced by its value, counting nodes and value bytes. It stops at the
// first limit passed, so it costs at most MaxExpandedNodes steps and
// allocates nothing but its alias stack.
type expansion struct {
	nodes, bytes int
	aliases      []*yaml.Node // the aliases being expanded, outermost first
	problem      *Problem
}

// measure reports the first limit the document passes, or nil.
func measure(doc *yaml.Node) *Problem {
	e := &expansion{}
	e.walk(doc, 0)
	return e.problem
}

func (e *expansion) walk(n *yaml.Node, depth int) bool {
	e.nodes++
	e.bytes += len(n.Value)
	switch {
	case depth > maxDepth:
		return e.refuse(n, "values are nested more than %d deep%s; no configuration field is", maxDepth, e.via())
	case e.nodes > MaxExpandedNodes:
		return e.refuse(n, "the configuration has more than %d YAML nodes%s (config.MaxExpandedNodes); "+
			"use anchors and aliases for shared blocks such as a check, not to multiply lists", MaxExpandedNodes, e.via())
	case e.bytes > MaxExpandedBytes:
		return e.refuse(n, "the configuration's values add up to more than %d bytes%s (config.MaxExpandedBytes)", MaxExpandedBytes, e.via())
	}
	if n.Kind == yaml.AliasNode {
		return e.alias(n, depth)
	}
	for _, c := range n.Content {
		if !e.walk(c, depth+1) {
			return false
		}
	}
	return true
}

func (e *expansion) alias(n *yaml.Node, depth int) bool {
	for _, outer := range e.aliases {
		if outer.Alias == n.Alias {
			return e.refuse(n, "alias *%s is inside the value it names, so it never ends", clip(n.Value))
		}
	}
	e.aliases = append(e.aliases, n)
	ok := e.walk(n.Alias, depth+1)
	e.aliases = e.aliases[:len(e.aliases)-1]
	return ok
}

// via names the outermost alias being expanded, where the fix belongs.
func (e *expansion) via() string {
	if len(e.aliases) == 0 {
		return ""
	}
	return fmt.Sprintf(" once alias *%s is expanded", clip(e.aliases[0].Value))
}

// refuse records the problem at n or, inside an expansion, at the
// outermost alias: the place in the file that has to change.
func (e *expansion) refuse(n *yaml.Node, format string, args ...any) bool {
	if len(e.aliases) > 0 {
		n = e.aliases[0]
	}
	e.problem = &Problem{Pos: Position{n.Line, n.Column}, Message: fmt.Sprintf(format, args...)}
	return false
}

// problemList collects problems up to MaxProblems and counts the rest.
type problemList struct {
	listed  []Problem
	omitted int
}

// add lists the problem mk builds or, once MaxProblems are listed, only
// counts it: the message of a problem left out is never formatted.
func (l *problemList) add(mk func() Problem) {
	if len(l.listed) >= MaxProblems {
		l.omitted++
		return
	}
	l.listed = append(l.listed, mk())
}

// count is how many problems were added, listed or not.
func (l *problemList) count() int { return len(l.listed) + l.omitted }

// message formats a problem with every string argument clipped, so a long
// value written by the user (or repeated by an alias) is quoted only in part.
func message(format string, args ...any) string {
	for i, a := range args {
		switch v := a.(type) {
		case error:
			args[i] = clipTo(v.Error(), maxMessage)
		case fmt.Stringer:
			args[i] = clip(v.String())
		default:
			if rv := reflect.ValueOf(a); rv.Kind() == reflect.String {
				args[i] = clip(rv.String())
			}
		}
	}
	return clipTo(fmt.Sprintf(format, args...), maxMessage)
}

func clip(s string) string { return clipTo(s, maxQuoted) }

// clipTo shortens s to at most n bytes, ending with "…" when it cut, and
// never splits a UTF-8 sequence.
func clipTo(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// truncated reports problems beyond MaxProblems as one more problem, so
// every reader of an *Error (the CLI, the API) shows that some were left out.
func truncated(problems []Problem, omitted int) ([]Problem, int) {
	if len(problems) > MaxProblems {
		omitted += len(problems) - MaxProblems
		problems = slices.Clip(problems[:MaxProblems])
	}
	if omitted > 0 {
		problems = append(problems, Problem{Message: fmt.Sprintf(
			"… and %d more problems not listed (config.MaxProblems is %d); fix these and check again", omitted, MaxProblems)})
	}
	return problems, omitted
}
