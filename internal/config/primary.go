package config

import (
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
)

// PrimaryMode says who picks a primary service's one endpoint.
type PrimaryMode string

// Primary modes.
const (
	// PrimaryElect: the cluster elects the primary from its verdicts and
	// runs the endpoints' hooks to promote and demote.
	PrimaryElect PrimaryMode = "elect"
	// PrimaryFollow: something else elects it (Patroni, a managed
	// database); the service's check is the role check, and the service
	// answers the one endpoint whose check passes by quorum.
	PrimaryFollow PrimaryMode = "follow"
)

// Failback says whether a former primary is promoted back on its own.
type Failback string

// Failback settings.
const (
	FailbackManual Failback = "manual" // only an operator's primary set
	FailbackAuto   Failback = "auto"   // once it is up again and preferred by priority
)

// MoveDNS says when a promotion moves the name.
type MoveDNS string

// MoveDNS settings.
const (
	MoveAfterPromote MoveDNS = "after-promote" // once on_promote succeeded
	MoveAtOnce       MoveDNS = "at-once"       // when the promotion is agreed, before the hook runs
)

// ServicePrimary configures a service of policy primary.
type ServicePrimary struct {
	// Mode is elect or follow (default elect).
	Mode PrimaryMode `yaml:"mode" json:",omitempty"`
	// Failback is manual or auto (default manual): whether a former
	// primary that is up again and preferred by priority is promoted back
	// without an operator.
	Failback Failback `yaml:"failback" json:",omitempty"`
	// MoveDNS is after-promote or at-once (default after-promote): whether
	// the name moves only once the new primary's on_promote succeeded.
	MoveDNS MoveDNS `yaml:"move_dns" json:",omitempty"`
	// Gates name gating rules: a change of primary (automatic, or an
	// operator's that does not break glass) starts only while every one of
	// them is on. Gates are turned on and off with outlast primary gate
	// and start on (default: none).
	Gates []string `yaml:"gates" json:",omitempty"`
	// Rules are assertion rules every change of primary must keep
	// (default: none; "never more than one primary" always holds).
	Rules []PrimaryRule `yaml:"rules" json:",omitempty"`
}

// PrimaryRule is an assertion rule on a primary service.
type PrimaryRule struct {
	// Name is how refusals and events call the rule. Required, unique in
	// the service.
	Name string `yaml:"name"`
	// AnsweredAmong: the primary is always one of these endpoints of the
	// service. Required.
	AnsweredAmong []string `yaml:"answered_among"`
}

// Hook is an action run on the leader when an endpoint is promoted or
// demoted: a program in node.hook_dir or an HTTP call. Either Exec or URL.
type Hook struct {
	// Exec is the program (a name in node.hook_dir) and its arguments,
	// run without a shell (default: none).
	Exec []string `yaml:"exec" json:",omitempty"`
	// URL is called with a JSON body describing the change (default: none).
	URL string `yaml:"url" json:",omitempty"`
	// Method of the HTTP call (default POST).
	Method string `yaml:"method" json:",omitempty"`
	// Headers added to the HTTP call, each "Name: value" as curl -H takes
	// them. They are replicated and shown by the API like the rest of the
	// services: keep secrets in an exec hook's environment instead
	// (default: none).
	Headers []string `yaml:"headers" json:",omitempty"`
	// Timeout of one attempt (default 30s).
	Timeout time.Duration `yaml:"timeout,nonzero" json:",omitempty"`
	// Retries are the attempts after a first that failed (default 3).
	Retries *int `yaml:"retries" json:",omitempty"`
}

// Defaults and bounds of primary services.
const (
	DefaultHookTimeout = 30 * time.Second
	DefaultHookRetries = 3
	MaxHookTimeout     = 10 * time.Minute
	MaxHookRetries     = 10
	MaxHookArgs        = 64
	MaxHookArgBytes    = 4096
	MaxHookHeaders     = 32
	MaxPrimaryRules    = 16
	MaxPrimaryGates    = 16
)

// Elects reports whether the cluster elects the service's primary (rather
// than following a role someone else elects).
func (s *Service) Elects() bool {
	return s.Policy == PolicyPrimary && s.Primary.Mode == PrimaryElect
}

func primaryDefaults(s *Service) {
	if s.Policy != PolicyPrimary {
		return
	}
	setDefault(&s.Primary.Mode, PrimaryElect)
	setDefault(&s.Primary.Failback, FailbackManual)
	setDefault(&s.Primary.MoveDNS, MoveAfterPromote)
	for i := range s.Endpoints {
		for _, h := range []*Hook{s.Endpoints[i].OnPromote, s.Endpoints[i].OnDemote} {
			if h == nil {
				continue
			}
			setDefault(&h.Timeout, DefaultHookTimeout)
			if h.URL != "" {
				setDefault(&h.Method, "POST")
				h.Method = strings.ToUpper(h.Method)
			}
			if h.Retries == nil {
				r := DefaultHookRetries
				h.Retries = &r
			}
		}
	}
}

// gateName is what a gate may be called: it is typed on a command line.
var gateName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// primary checks a service's primary section and hooks; hookDir is the
// node's hook_dir.
func (v *validator) primary(path string, s *Service, hookDir string) {
	if s.Policy != PolicyPrimary {
		if !reflect.ValueOf(s.Primary).IsZero() { // a section given at all
			v.add(path+".primary", "is for services with policy primary; this one is %s", s.Policy)
		}
		for i, e := range s.Endpoints {
			if e.OnPromote != nil || e.OnDemote != nil {
				v.add(fmt.Sprintf("%s.endpoints[%d]", path, i), "on_promote and on_demote are for services with policy primary; this one is %s", s.Policy)
			}
		}
		return
	}
	p := &s.Primary
	v.oneOf(path+".primary.mode", string(p.Mode), "elect", "follow")
	v.oneOf(path+".primary.failback", string(p.Failback), "manual", "auto")
	v.oneOf(path+".primary.move_dns", string(p.MoveDNS), "after-promote", "at-once")
	if s.PanicThreshold != 0 {
		v.add(path+".panic_threshold", "a primary service answers its one primary whatever the others' health; leave panic_threshold out")
	}
	if s.WhenAllDown != AllDownServeAll {
		v.add(path+".when_all_down", "a primary service keeps answering its primary when every endpoint is down (a verdict alone never moves it); leave when_all_down out")
	}
	v.gates(path+".primary.gates", p.Gates)
	v.primaryRules(path+".primary.rules", p.Rules, s)
	for i := range s.Endpoints {
		e := &s.Endpoints[i]
		ep := fmt.Sprintf("%s.endpoints[%d]", path, i)
		if p.Mode == PrimaryFollow && (e.OnPromote != nil || e.OnDemote != nil) {
			v.add(ep, "hooks are not run in mode follow, where something else promotes; remove on_promote and on_demote or use mode elect")
			continue
		}
		v.hook(ep+".on_promote", e.OnPromote, hookDir)
		v.hook(ep+".on_demote", e.OnDemote, hookDir)
	}
}

func (v *validator) oneOf(path, value string, allowed ...string) {
	if !slices.Contains(allowed, value) {
		v.add(path, "%q is not valid; use %s", value, strings.Join(allowed, " or "))
	}
}

func (v *validator) gates(path string, gates []string) {
	if len(gates) > MaxPrimaryGates {
		v.add(path, "%d gates; at most %d", len(gates), MaxPrimaryGates)
		return
	}
	for i, g := range gates {
		switch {
		case !gateName.MatchString(g):
			v.add(fmt.Sprintf("%s[%d]", path, i), "%q is not a gate name: lower-case letters, digits, - and _, at most 63, starting with a letter or digit", g)
		case slices.Index(gates, g) < i:
			v.add(fmt.Sprintf("%s[%d]", path, i), "gate %q is listed twice", g)
		}
	}
}

func (v *validator) primaryRules(path string, rules []PrimaryRule, s *Service) {
	if len(rules) > MaxPrimaryRules {
		v.add(path, "%d rules; at most %d", len(rules), MaxPrimaryRules)
		return
	}
	for i, r := range rules {
		rp := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case r.Name == "":
			v.add(rp+".name", "is required: refusals and events name the rule")
		case slices.IndexFunc(rules, func(o PrimaryRule) bool { return o.Name == r.Name }) < i:
			v.add(rp+".name", "rule %q is defined twice", r.Name)
		}
		if len(r.AnsweredAmong) == 0 {
			v.add(rp+".answered_among", "is required: the endpoints the primary must be one of")
		}
		for j, name := range r.AnsweredAmong {
			if !slices.ContainsFunc(s.Endpoints, func(e Endpoint) bool { return e.Name == name }) {
				v.add(fmt.Sprintf("%s.answered_among[%d]", rp, j), "%q is not an endpoint of %s", name, s.Name)
			}
		}
	}
}

func (v *validator) hook(path string, h *Hook, hookDir string) {
	if h == nil {
		return
	}
	switch {
	case len(h.Exec) > 0 && h.URL != "":
		v.add(path, "sets both exec and url; a hook is one program or one HTTP call")
	case len(h.Exec) > 0:
		v.hookExec(path, h, hookDir)
	case h.URL != "":
		v.hookURL(path, h)
	default:
		v.add(path, "needs exec (a program in node.hook_dir and its arguments) or url")
	}
	if h.Timeout <= 0 || h.Timeout > MaxHookTimeout {
		v.add(path+".timeout", "%s is outside 1ns..%s", h.Timeout, MaxHookTimeout)
	}
	if h.Retries != nil && (*h.Retries < 0 || *h.Retries > MaxHookRetries) {
		v.add(path+".retries", "%d is outside 0..%d", *h.Retries, MaxHookRetries)
	}
}

func (v *validator) hookExec(path string, h *Hook, hookDir string) {
	if hookDir == "" {
		v.add(path+".exec", "exec hooks run only programs in node.hook_dir, which is not set; set it on every node and install %s there", h.Exec[0])
	}
	if len(h.Exec) > MaxHookArgs {
		v.add(path+".exec", "%d arguments; at most %d", len(h.Exec), MaxHookArgs)
		return
	}
	for i, a := range h.Exec {
		if len(a) > MaxHookArgBytes || strings.ContainsRune(a, 0) {
			v.add(fmt.Sprintf("%s.exec[%d]", path, i), "an argument is at most %d bytes, without NUL", MaxHookArgBytes)
		}
	}
	prog := h.Exec[0]
	if prog == "" || strings.Contains(prog, "..") || (filepath.IsAbs(prog) && hookDir != "" && !within(prog, hookDir)) {
		v.add(path+".exec[0]", "%q must name a program in node.hook_dir (%s), by its name or its path there", prog, hookDir)
	}
}

// within reports whether path is inside dir, by their cleaned text.
func within(path, dir string) bool {
	rel, err := filepath.Rel(filepath.Clean(dir), filepath.Clean(path))
	return err == nil && rel != "." && !strings.HasPrefix(rel, "..")
}

func (v *validator) hookURL(path string, h *Hook) {
	// By hand: config is pure, so no net/url; the hook runner parses the
	// URL again before each call.
	scheme, rest, _ := strings.Cut(h.URL, "://")
	host, _, _ := strings.Cut(rest, "/")
	switch {
	case scheme != "http" && scheme != "https":
		v.add(path+".url", "%q: use an http:// or https:// URL", h.URL)
	case host == "" || strings.ContainsAny(host, "?#"):
		v.add(path+".url", "%q has no host", h.URL)
	case strings.ContainsFunc(h.URL, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		v.add(path+".url", "%q holds spaces or control characters", h.URL)
	}
	if !validHeaderName(h.Method) {
		v.add(path+".method", "%q is not an HTTP method", h.Method)
	}
	if len(h.Headers) > MaxHookHeaders {
		v.add(path+".headers", "%d headers; at most %d", len(h.Headers), MaxHookHeaders)
	}
	for i, line := range h.Headers {
		if _, _, ok := SplitHeader(line); !ok || len(line) > MaxHookArgBytes {
			v.add(fmt.Sprintf("%s.headers[%d]", path, i), "%q is not a header: write \"Name: value\" on one line, at most %d bytes", line, MaxHookArgBytes)
		}
	}
}

// SplitHeader splits a hook's "Name: value" header line; ok is false when
// the name is not an HTTP token or the value spans lines.
func SplitHeader(line string) (name, value string, ok bool) {
	name, value, found := strings.Cut(line, ":")
	value = strings.TrimSpace(value)
	ok = found && validHeaderName(name) && !strings.ContainsAny(value, "\r\n\x00")
	return name, value, ok
}
