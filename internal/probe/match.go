package probe

import (
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/miekg/dns"

	"outlast/internal/config"
	"outlast/internal/model"
)

// The matchers below judge a response that arrived. Each returns ReasonOK
// when the response is what the check expects, and otherwise the Reason and
// a short detail saying what was seen instead.

// bodyLimit is how much of an HTTP body is searched for the expected text;
// a health page that hides its marker further down is misconfigured, and a
// probe must not download a large page every second.
const bodyLimit = 64 << 10

func matchStatus(code int, want config.StatusRange) (model.Reason, string) {
	if want.Contains(code) {
		return model.ReasonOK, ""
	}
	return model.ReasonStatus, fmt.Sprintf("status %d, want %s", code, want)
}

// matchBody reads at most bodyLimit bytes of body and looks for want in them.
// An empty want matches without reading. A read error is returned as is, so
// the caller can classify it (a body that stalls is a timeout).
func matchBody(body io.Reader, want string) (model.Reason, string, error) {
	if want == "" {
		return model.ReasonOK, "", nil
	}
	head, err := io.ReadAll(io.LimitReader(body, bodyLimit))
	if bytes.Contains(head, []byte(want)) {
		return model.ReasonOK, "", nil
	}
	if err != nil {
		return "", "", err
	}
	return model.ReasonBody, fmt.Sprintf("body lacks %q in its first %d KiB", want, bodyLimit>>10), nil
}

// matchRcode compares a DNS response code with the expected mnemonic
// ("NOERROR", "NXDOMAIN"...). An empty want means NOERROR.
func matchRcode(got int, want string) (model.Reason, string) {
	if want == "" {
		want = "NOERROR"
	}
	code, ok := dns.StringToRcode[strings.ToUpper(want)]
	if !ok {
		return model.ReasonError, fmt.Sprintf("unknown expected rcode %q", want)
	}
	if got == code {
		return model.ReasonOK, ""
	}
	return model.ReasonRcode, fmt.Sprintf("rcode %s, want %s", rcodeName(got), dns.RcodeToString[code])
}

func rcodeName(code int) string {
	if name, ok := dns.RcodeToString[code]; ok {
		return name
	}
	return fmt.Sprintf("RCODE%d", code)
}

// matchAnswer looks for one record of type qtype whose data equals want. An
// empty want matches anything. Addresses compare as addresses and names
// compare case-insensitively with or without the final dot, so the check's
// author need not guess the canonical spelling.
func matchAnswer(answer []dns.RR, qtype uint16, want string) (model.Reason, string) {
	if want == "" {
		return model.ReasonOK, ""
	}
	var seen []string
	for _, rr := range answer {
		if rr.Header().Rrtype != qtype {
			continue
		}
		data := rrData(rr)
		if sameData(data, want) {
			return model.ReasonOK, ""
		}
		seen = append(seen, data)
	}
	if len(seen) == 0 {
		return model.ReasonAnswer, fmt.Sprintf("no %s record in the answer, want %s", dns.TypeToString[qtype], want)
	}
	return model.ReasonAnswer, fmt.Sprintf("answer %s, want %s", strings.Join(seen, " "), want)
}

// rrData is a record's presentation form without its owner, TTL, class and type.
func rrData(rr dns.RR) string {
	return strings.TrimSpace(strings.TrimPrefix(rr.String(), rr.Header().String()))
}

func sameData(got, want string) bool {
	ga, errG := netip.ParseAddr(got)
	wa, errW := netip.ParseAddr(want)
	if errG == nil && errW == nil {
		return ga == wa
	}
	return strings.EqualFold(strings.TrimSuffix(got, "."), strings.TrimSuffix(want, "."))
}
