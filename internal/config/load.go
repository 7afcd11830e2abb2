package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a configuration.
type Problem struct {
	// Path is the field path, such as "services[0].check.timeout".
	Path string
	// Pos is where in the file the field (or its nearest present parent) is.
	Pos     Position
	Message string
}

// Error lists the problems found in one configuration file: every one of
// them up to MaxProblems, and then one more entry saying how many were left
// out (Omitted counts them).
type Error struct {
	File     string
	Problems []Problem
	Omitted  int
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
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	// One byte more than the limit is enough for Parse to refuse it.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := parse(path, data, zoneFileReader(filepath.Dir(path)))
	if err == nil {
		// Files the node reads are named relative to the configuration.
		files := []*string{&cfg.GeoIP.Database, &cfg.Proxy.TLS.CertFile, &cfg.Proxy.TLS.KeyFile, &cfg.DNS.KeyDir}
		for i := range cfg.DNS.TSIGKeys {
			files = append(files, &cfg.DNS.TSIGKeys[i].SecretFile)
		}
		for _, f := range files {
			if *f != "" && !filepath.IsAbs(*f) {
				*f = filepath.Join(filepath.Dir(path), *f)
			}
		}
	}
	return cfg, err
}

// Parse is Load for configuration text already in memory; file names it in
// errors. The text may come from anyone who can reach the API, so Parse
// bounds it (MaxFileSize, MaxExpandedNodes, MaxExpandedBytes, MaxProblems)
// before it allocates what each limit protects.
//
// Parse reads no zone file: a zone naming one (zones[].file) is a problem,
// since the text may come from a remote caller, for whom the node must not
// read its own disk. Such a configuration carries its records inline
// (zones[].records), or is loaded from a file with Load.
func Parse(file string, data []byte) (*Config, error) {
	return parse(file, data, nil)
}

// parse is Parse with zone files read by read, or refused when read is nil.
func parse(file string, data []byte, read zoneReader) (*Config, error) {
	doc, problem := parseYAML(data)
	if problem != nil {
		return nil, &Error{File: file, Problems: []Problem{*problem}}
	}
	d := &decoder{failed: map[string]bool{}}
	var cfg Config
	d.decode(doc, reflect.ValueOf(&cfg).Elem(), "")
	for _, p := range readZoneFiles(&cfg, read).listed {
		p.Pos = positionOf(doc, p.Path)
		d.problems.add(func() Problem { return p })
	}
	hostname, _ := os.Hostname()
	applyDefaults(&cfg, hostname)
	problems := d.problems.listed
	// A field that failed to decode was left empty; saying it is also
	// missing would only repeat the first problem.
	vp := validate(&cfg, d.failedUnder)
	for _, p := range vp.listed {
		p.Pos = positionOf(doc, p.Path)
		problems = append(problems, p)
	}
	if len(problems) > 0 || d.problems.omitted > 0 || vp.omitted > 0 {
		listed, omitted := truncated(problems, d.problems.omitted+vp.omitted)
		return nil, &Error{File: file, Problems: listed, Omitted: omitted}
	}
	cfg.Source = file
	cfg.Hash = cfg.Shared().Hash()
	return &cfg, nil
}

// parseYAML turns the text into a yaml.Node tree whose expansion measure has
// bounded, or says why it will not.
func parseYAML(data []byte) (*yaml.Node, *Problem) {
	if len(data) > MaxFileSize {
		return nil, &Problem{Message: fmt.Sprintf("the file is larger than %d bytes (config.MaxFileSize), "+
			"the most outlast reads; a configuration of 10,000 endpoints fits in less", MaxFileSize)}
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Problem{Message: "the file is empty; it needs at least zones and services"}
		}
		p := syntaxProblem(err)
		return nil, &p
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if p := measure(doc); p != nil {
		return nil, p
	}
	return doc, nil
}

// syntaxProblem turns a yaml.v3 parse error ("yaml: line 3: ...") into a Problem with a position.
func syntaxProblem(err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		_, rest, _ := strings.Cut(msg, ":")
		return Problem{Pos: Position{Line: line, Column: 1}, Message: clipTo("YAML syntax: "+strings.TrimSpace(rest), maxMessage)}
	}
	return Problem{Message: clipTo("YAML syntax: "+msg, maxMessage)}
}
