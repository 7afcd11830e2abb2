package probe

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"outlast/internal/config"
	"outlast/internal/model"
)

func TestMatchStatus(t *testing.T) {
	ok2xx3xx := config.StatusRange{Min: 200, Max: 399}
	only204 := config.StatusRange{Min: 204, Max: 204}
	tests := []struct {
		code int
		want config.StatusRange
		ok   bool
	}{
		{200, ok2xx3xx, true},
		{399, ok2xx3xx, true},
		{302, ok2xx3xx, true},
		{199, ok2xx3xx, false},
		{400, ok2xx3xx, false},
		{503, ok2xx3xx, false},
		{204, only204, true},
		{200, only204, false},
	}
	for _, tt := range tests {
		reason, detail := matchStatus(tt.code, tt.want)
		if (reason == model.ReasonOK) != tt.ok {
			t.Errorf("matchStatus(%d, %s) = %s %q, want ok=%v", tt.code, tt.want, reason, detail, tt.ok)
		}
		if !tt.ok && (reason != model.ReasonStatus || detail == "") {
			t.Errorf("matchStatus(%d, %s) = %s %q, want status with a detail", tt.code, tt.want, reason, detail)
		}
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("read failed") }

func TestMatchBody(t *testing.T) {
	pad := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name    string
		body    io.Reader
		want    string
		reason  model.Reason
		wantErr bool
	}{
		{"no expectation reads nothing", failingReader{}, "", model.ReasonOK, false},
		{"found", strings.NewReader("status: ok"), "ok", model.ReasonOK, false},
		{"missing", strings.NewReader("status: degraded"), "status: ok", model.ReasonBody, false},
		{"ends exactly at the limit", strings.NewReader(pad(bodyLimit-2) + "ok"), "ok", model.ReasonOK, false},
		{"beyond the limit", strings.NewReader(pad(bodyLimit-1) + "ok"), "ok", model.ReasonBody, false},
		{"read error", failingReader{}, "ok", "", true},
		{"found before a read error", io.MultiReader(strings.NewReader("ok"), failingReader{}), "ok", model.ReasonOK, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reason, detail, err := matchBody(tt.body, tt.want)
			if (err != nil) != tt.wantErr || reason != tt.reason {
				t.Errorf("matchBody = %s %q %v, want %s (error: %v)", reason, detail, err, tt.reason, tt.wantErr)
			}
		})
	}
}

func TestMatchRcode(t *testing.T) {
	tests := []struct {
		got    int
		want   string
		reason model.Reason
	}{
		{dns.RcodeSuccess, "", model.ReasonOK},
		{dns.RcodeSuccess, "NOERROR", model.ReasonOK},
		{dns.RcodeNameError, "nxdomain", model.ReasonOK},
		{dns.RcodeNameError, "NOERROR", model.ReasonRcode},
		{dns.RcodeServerFailure, "", model.ReasonRcode},
		{dns.RcodeSuccess, "NOPE", model.ReasonError},
	}
	for _, tt := range tests {
		if reason, detail := matchRcode(tt.got, tt.want); reason != tt.reason {
			t.Errorf("matchRcode(%d, %q) = %s %q, want %s", tt.got, tt.want, reason, detail, tt.reason)
		}
	}
}

func TestMatchAnswer(t *testing.T) {
	rr := func(s string) dns.RR {
		r, err := dns.NewRR(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	answer := []dns.RR{
		rr("www.example.test. 60 IN CNAME Web.Example.Test."),
		rr("web.example.test. 60 IN A 192.0.2.1"),
		rr("web.example.test. 60 IN A 192.0.2.2"),
		rr("web.example.test. 60 IN AAAA 2001:db8::1"),
	}
	tests := []struct {
		name   string
		qtype  uint16
		want   string
		reason model.Reason
	}{
		{"no expectation", dns.TypeA, "", model.ReasonOK},
		{"first A", dns.TypeA, "192.0.2.1", model.ReasonOK},
		{"second A", dns.TypeA, "192.0.2.2", model.ReasonOK},
		{"A absent", dns.TypeA, "192.0.2.3", model.ReasonAnswer},
		{"AAAA in another spelling", dns.TypeAAAA, "2001:db8:0:0::1", model.ReasonOK},
		{"AAAA is not A", dns.TypeA, "2001:db8::1", model.ReasonAnswer},
		{"CNAME any case, no final dot", dns.TypeCNAME, "web.example.test", model.ReasonOK},
		{"no record of the type", dns.TypeMX, "mail.example.test.", model.ReasonAnswer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if reason, detail := matchAnswer(answer, tt.qtype, tt.want); reason != tt.reason {
				t.Errorf("matchAnswer(%s, %q) = %s %q, want %s", dns.TypeToString[tt.qtype], tt.want, reason, detail, tt.reason)
			}
		})
	}
}
