package hook

import (
	"strings"
	"sync"
	"unicode/utf8"
)

// truncated ends an Output that was cut at MaxOutput.
const truncated = "… (truncated)"

// capture keeps the first MaxOutput bytes written to it and discards the
// rest while still accepting it, so a program printing without end neither
// blocks on a full pipe nor grows memory. A program's stdout and stderr share
// one capture.
type capture struct {
	mu   sync.Mutex
	buf  []byte
	lost bool
}

// Write keeps what fits and reports all of p written, so that the copy goes
// on draining the pipe after the bound.
func (c *capture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(p)
	if room := MaxOutput - len(c.buf); n > room {
		c.lost = true
		p = p[:max(room, 0)]
	}
	c.buf = append(c.buf, p...)
	return n, nil
}

// String is the output kept, at most MaxOutput bytes with the truncation
// note, cut on a rune boundary.
func (c *capture) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bounded(c.buf, c.lost)
}

// bounded renders b as Output: whole if it fits, otherwise cut so that it
// and the truncation note fit in MaxOutput.
func bounded(b []byte, lost bool) string {
	if !lost && len(b) <= MaxOutput {
		return string(b)
	}
	keep := min(len(b), MaxOutput-len(truncated))
	for keep > 0 && keep < len(b) && !utf8.RuneStart(b[keep]) {
		keep--
	}
	return string(b[:keep]) + truncated
}

// lastLine is the last non-blank line of out, at most 200 bytes, to quote
// in an error: usually the line that says why a program failed.
func lastLine(out string) string {
	out = strings.TrimSuffix(out, truncated)
	out = strings.TrimSpace(out)
	if i := strings.LastIndexByte(out, '\n'); i >= 0 {
		out = strings.TrimSpace(out[i+1:])
	}
	if len(out) > 200 {
		out = strings.ToValidUTF8(out[:200], "") + "…"
	}
	return out
}
