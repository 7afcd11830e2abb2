package zone

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"outlast/internal/config"
)

// defaultTTL is the TTL of a record written without one, before any $TTL
// or earlier record gives one: an hour, as Knot's default-ttl.
const defaultTTL = 3600

// entry is one parsed record and where it was written, for messages.
type entry struct {
	rr    dns.RR
	where string // "FILE:LINE" or "zones[i].records[j]"
}

// parsed is a zone's records as written, with the apex SOA and NS apart.
type parsed struct {
	apex    string // canonical: lower case, trailing dot
	entries []entry
	soa     *entry  // the file's apex SOA, if any
	ns      []entry // the apex NS set of the file and inline records

	// Filled by Check: delegations (NS sets below the apex) and CNAMEs,
	// by lower-cased name, each the first written; and every entry by
	// lower-cased name, in file order.
	cuts, cnames map[string]entry
	names        map[string][]entry
}

// served is what Records returns: everything but the apex SOA and NS.
func (p *parsed) served() []dns.RR {
	out := make([]dns.RR, 0, len(p.entries))
	for _, e := range p.entries {
		out = append(out, e.rr)
	}
	return out
}

// parseZone parses z's file text and inline records. path names the zone
// in errors ("zones[2]"); empty, its apex does ("zones[example.com]").
func parseZone(z config.Zone, path string) (*parsed, error) {
	apex := strings.ToLower(dns.Fqdn(z.Apex))
	if path == "" {
		path = "zones[" + strings.TrimSuffix(apex, ".") + "]"
	}
	p := &parsed{apex: apex}
	if z.File != "" {
		if err := p.file(path+".file", z.File, z.FileText); err != nil {
			return nil, err
		}
	}
	for j, line := range z.Records {
		if err := p.inline(fmt.Sprintf("%s.records[%d]", path, j), line); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// file parses a master file's text, origin the apex; name is its path.
func (p *parsed) file(field, name, text string) error {
	msg, _ := scanFile(name, text, p.apex, defaultTTL, func(rr dns.RR, line int) string {
		return p.add(rr, fmt.Sprintf("%s:%d", name, line))
	})
	if msg != "" {
		return &recordError{field, msg}
	}
	return nil
}

// SyntaxError is master-file text the DNS parser refused, as
// "NAME:LINE:COL: message".
type SyntaxError struct{ msg string }

func (e *SyntaxError) Error() string { return e.msg }

// ReadFile parses every record of a master file's text as a zone's file
// is parsed (MaxRecords and MaxGenerated bound it, $INCLUDE is refused,
// errors read "NAME:LINE[:COL]: message"; a *SyntaxError when the parser
// refused the text), but keeps them all, the apex SOA and NS too. Origin
// is the file's origin ("" for a file of fully qualified names), and there
// is no default TTL: a record needs its own, $TTL's or an earlier
// record's. outlast import reads with it.
func ReadFile(name, text, origin string) ([]dns.RR, error) {
	if origin != "" {
		origin = dns.Fqdn(origin)
	}
	var rrs []dns.RR
	msg, syntax := scanFile(name, text, origin, 0, func(rr dns.RR, _ int) string {
		if len(rrs) >= MaxRecords {
			return fmt.Sprintf("the file holds more than %d records (zone.MaxRecords)", MaxRecords)
		}
		rrs = append(rrs, rr)
		return ""
	})
	switch {
	case syntax:
		return nil, &SyntaxError{msg}
	case msg != "":
		return nil, errors.New(msg)
	}
	return rrs, nil
}

// scanFile parses a master file's text, origin origin, handing each
// record and the line of its entry to each, which returns why the record
// cannot be kept ("" to keep it). A record written without a TTL before
// any other gives one gets ttl (0: it is an error). It bounds the records
// $GENERATE lines stand for (MaxGenerated) and refuses $INCLUDE. It
// returns the first problem as "NAME:LINE[:COL]: message", and whether
// it is the parser's (syntax).
func scanFile(name, text, origin string, ttl uint32, each func(rr dns.RR, line int) string) (msg string, syntax bool) {
	lines := &lineReader{text: text}
	zp := dns.NewZoneParser(lines, origin, name)
	if ttl != 0 {
		zp.SetDefaultTTL(ttl)
	}
	generated := 0
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		if lines.generates[lines.entryLine] {
			if generated++; generated > MaxGenerated {
				return fmt.Sprintf("%s:%d: the file's $GENERATE lines stand for more than %d records (zone.MaxGenerated); "+
					"write the records out, or generate fewer", name, lines.entryLine, MaxGenerated), false
			}
		}
		if msg := each(rr, lines.entryLine); msg != "" {
			return fmt.Sprintf("%s:%d: %s", name, lines.entryLine, msg), false
		}
	}
	if err := zp.Err(); err != nil {
		if lines.include > 0 {
			return fmt.Sprintf("%s:%d: $INCLUDE is not allowed: the file's text is replicated to every node, "+
				"so it must hold its records itself; put the included file's records in its place", name, lines.include), false
		}
		return parseError(name, err, true), true
	}
	return "", false
}

// inline parses one line of zones[].records, which must hold one record.
func (p *parsed) inline(field, line string) error {
	if t := strings.TrimSpace(line); strings.HasPrefix(t, "$") {
		return &recordError{field, fmt.Sprintf("%q: directives such as $ORIGIN or $TTL do not belong in records; "+
			"write one record per line, relative to the apex", clip(t))}
	}
	zp := dns.NewZoneParser(strings.NewReader(line), p.apex, field)
	zp.SetDefaultTTL(defaultTTL)
	rr, ok := zp.Next()
	if !ok {
		if err := zp.Err(); err != nil {
			return &recordError{field, parseError(field, err, false)}
		}
		return &recordError{field, `holds no record; write one such as "www 300 IN A 192.0.2.1"`}
	}
	if _, more := zp.Next(); more || zp.Err() != nil {
		return &recordError{field, "holds more than one record (or text after the record); write one record per line"}
	}
	if msg := p.add(rr, field); msg != "" {
		return &recordError{field, msg}
	}
	return nil
}

// add files one record, or says why outlast cannot serve it.
func (p *parsed) add(rr dns.RR, where string) string {
	h := rr.Header()
	if len(p.entries)+len(p.ns) >= MaxRecords {
		return fmt.Sprintf("the zone holds more than %d records (zone.MaxRecords)", MaxRecords)
	}
	if h.Class != dns.ClassINET {
		return fmt.Sprintf("%s has class %s; outlast serves class IN only", clip(h.Name), dns.Class(h.Class))
	}
	e := entry{rr: rr, where: where}
	if strings.EqualFold(h.Name, p.apex) {
		switch h.Rrtype {
		case dns.TypeSOA:
			if p.soa != nil {
				return "a second SOA record at the apex (the first is at " + p.soa.where + ")"
			}
			p.soa = &e
			return ""
		case dns.TypeNS:
			p.ns = append(p.ns, e)
			return ""
		}
	}
	p.entries = append(p.entries, e)
	return ""
}

// recordError is a record that does not parse. Field is the configuration
// field holding it ("zones[0].file", "zones[0].records[3]"); the message
// of a file's record starts with FILE:LINE.
type recordError struct {
	field, msg string
}

func (e *recordError) Error() string {
	if strings.HasSuffix(e.field, ".file") {
		return e.msg
	}
	return e.field + ": " + e.msg
}

// parseError rewrites miekg/dns's `NAME: dns: MESSAGE: "TOKEN" at line: L:C`
// as `NAME:L:C: MESSAGE: "TOKEN"` (withLine) or `MESSAGE: "TOKEN"`, the
// form the rest of outlast's configuration errors take. Inline records
// are one line each, so their position says nothing. miekg/dns puts the
// position at the end of its text, and its ParseError keeps the fields
// unexported, so the position is read from there.
func parseError(name string, err error, withLine bool) string {
	msg := strings.TrimPrefix(err.Error(), name+": ")
	msg = strings.TrimPrefix(msg, "dns: ")
	loc := name
	if i := strings.LastIndex(msg, " at line: "); i >= 0 {
		line, col, _ := strings.Cut(msg[i+len(" at line: "):], ":")
		msg = msg[:i]
		if _, err := strconv.Atoi(line); err == nil {
			loc += ":" + line
			if _, err := strconv.Atoi(col); err == nil {
				loc += ":" + col
			}
		}
	}
	msg = clipTo(msg, maxMessage)
	if !withLine {
		return msg
	}
	return loc + ": " + msg
}

// Messages quote what the user wrote only in part, so an error stays small
// whatever the input (FuzzRecords holds it).
const (
	maxQuoted  = 256
	maxMessage = 1024
)

func clip(s string) string { return clipTo(s, maxQuoted) }

func clipTo(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 { // never split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}
