package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong with a configuration.
type Problem struct {
	// Path is the field path, such as "services[0].check.timeout".
	Path string
	// Pos is where in the file the field (or its nearest present parent) is.
	Pos     Position
	Message string
}

// Error lists every problem found in one configuration file.
type Error struct {
	File     string
	Problems []Problem
}

// Error renders one problem per line as "file:line:col: path: message".
func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.Format(e.File))
	}
	return b.String()
}

// Format renders the problem as "file:line:col: path: message".
func (p Problem) Format(file string) string {
	loc := file
	if p.Pos.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", file, p.Pos.Line, p.Pos.Column)
	}
	if p.Path == "" {
		return loc + ": " + p.Message
	}
	return loc + ": " + p.Path + ": " + p.Message
}

// Load reads, decodes, defaults and validates the configuration at path.
// On any problem it returns a nil Config and an *Error listing all of them,
// so a caller never holds a half-valid configuration.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data)
}

// Parse is Load for configuration text already in memory; file names it in errors.
func Parse(file string, data []byte) (*Config, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: file, Problems: []Problem{{Message: "the file is empty; it needs at least zones and services"}}}
		}
		return nil, &Error{File: file, Problems: []Problem{syntaxProblem(err)}}
	}
	d := &decoder{positions: map[string]Position{}}
	var cfg Config
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	d.decode(doc, reflect.ValueOf(&cfg).Elem(), "")
	hostname, _ := os.Hostname()
	applyDefaults(&cfg, hostname)
	problems := d.problems
	for _, p := range validate(&cfg) {
		// A field that failed to decode was left empty; saying it is also
		// missing would only repeat the first problem.
		if !underAny(p.Path, d.problems) {
			p.Pos = d.position(p.Path)
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return nil, &Error{File: file, Problems: problems}
	}
	cfg.Hash = cfg.Shared().Hash()
	return &cfg, nil
}

func underAny(path string, problems []Problem) bool {
	for _, p := range problems {
		if path == p.Path || strings.HasPrefix(path, p.Path+".") || strings.HasPrefix(path, p.Path+"[") {
			return true
		}
	}
	return false
}

// position finds where path, or failing that its nearest parent present in
// the file, was written: a missing field is reported where it belongs.
func (d *decoder) position(path string) Position {
	for {
		if pos, ok := d.positions[path]; ok {
			return pos
		}
		cut := strings.LastIndexAny(path, ".[")
		if cut < 0 {
			return d.positions[""]
		}
		path = path[:cut]
	}
}

// syntaxProblem turns a yaml.v3 parse error ("yaml: line 3: ...") into a Problem with a position.
func syntaxProblem(err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		_, rest, _ := strings.Cut(msg, ":")
		return Problem{Pos: Position{Line: line, Column: 1}, Message: "YAML syntax: " + strings.TrimSpace(rest)}
	}
	return Problem{Message: "YAML syntax: " + msg}
}
