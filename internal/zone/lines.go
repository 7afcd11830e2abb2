package zone

import "io"

// lineReader feeds a master file to miekg/dns's ZoneParser one byte at a
// time (it then reads straight from it, without a buffer of its own) and
// tracks the line where each entry starts: the parser says where errors
// are but not where a good record was written, and Check's messages
// name it. An entry starts at its first byte that is not blank and not in
// a comment, and ends at a newline outside parentheses; when the parser
// hands out a record it has read just through that record's entry, so the
// last entry started is the record's (or the $GENERATE line that made it).
type lineReader struct {
	text string
	off  int

	line      int          // current line, from 1
	entryLine int          // line where the last entry started
	include   int          // line of the first $INCLUDE, 0 if none
	generates map[int]bool // lines that hold a $GENERATE
	inEntry   bool         // an entry has started and not ended
	parens    int
	quoted    bool
	escaped   bool
	comment   bool
}

// ReadByte implements io.ByteReader.
func (r *lineReader) ReadByte() (byte, error) {
	if r.off >= len(r.text) {
		return 0, io.EOF
	}
	if r.line == 0 {
		r.line = 1
	}
	c := r.text[r.off]
	r.off++
	r.track(c)
	return c, nil
}

// Read implements io.Reader, which the parser's signature asks for; it
// only ever calls ReadByte.
func (r *lineReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c, err := r.ReadByte()
	if err != nil {
		return 0, err
	}
	p[0] = c
	return 1, nil
}

func (r *lineReader) track(c byte) {
	switch {
	case c == '\n':
		r.line++
		r.comment = false
		if r.parens == 0 && !r.quoted {
			r.inEntry = false
		}
		r.escaped = false
		return
	case r.comment:
		return
	case r.escaped:
		r.escaped = false
	case c == '\\':
		r.escaped = true
	case c == '"':
		r.quoted = !r.quoted
	case r.quoted:
	case c == ';':
		r.comment = true
		return
	case c == '(':
		r.parens++
	case c == ')' && r.parens > 0:
		r.parens--
	}
	if c == ' ' || c == '\t' || c == '\r' {
		return
	}
	if !r.inEntry {
		r.inEntry, r.entryLine = true, r.line
		if c == '$' && r.include == 0 && hasPrefixFold(r.text[r.off-1:], "$INCLUDE") {
			r.include = r.line
		}
		if c == '$' && hasPrefixFold(r.text[r.off-1:], "$GENERATE") {
			if r.generates == nil {
				r.generates = map[int]bool{}
			}
			r.generates[r.line] = true
		}
	}
}

func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if s[i]|0x20 != prefix[i]|0x20 {
			return false
		}
	}
	return true
}
