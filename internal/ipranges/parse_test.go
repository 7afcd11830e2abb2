package ipranges

import (
	"testing"

	"outlast/internal/errtest"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, data, provider string
		want                 []string // substrings of the error, besides the file's name
	}{
		{"empty", "", "", []string{"the file is empty"}},
		{"blank", " \n\t\n", "hetzner", []string{"the file is empty"}},
		{"only comments", "# nothing yet\n\n", "hetzner", []string{"holds no prefixes"}},
		{"plain without provider", "10.0.0.0/8\n", "", []string{"write PROVIDER=FILE"}},
		{"bad provider", "10.0.0.0/8\n", "my cloud", []string{`provider name "my cloud"`}},
		{"provider with slash", "10.0.0.0/8\n", "aws/us", []string{`provider name "aws/us"`}},
		{"bad line", "10.0.0.0/8\n# fine\n10.0.0/8\n", "lab", []string{"line 3", `"10.0.0/8" is not a CIDR prefix`}},
		{"prefix too long", "10.0.0.0/33\n", "lab", []string{"line 1", "10.0.0.0/33"}},
		{"4in6", "::ffff:10.0.0.0/104\n", "lab", []string{"line 1", "IPv4-mapped"}},
		{"zone", "fe80::1%eth0\n", "lab", []string{"line 1", "fe80::1%eth0"}},
		{"json syntax", "{\n\"prefixes\": [\n}\n", "", []string{"line 3", "not valid JSON"}},
		{"json not an object", "{} {}", "", []string{"not valid JSON"}},
		{"unknown shape", `{"ranges": []}`, "", []string{"unknown JSON shape (top-level keys: ranges)", "AWS ip-ranges.json (syncToken, createDate, prefixes)", "PROVIDER=FILE"}},
		{"aws no prefixes", `{"syncToken":"1","createDate":"x","prefixes":[],"ipv6_prefixes":[]}`, "", []string{"holds no prefixes"}},
		{"aws bad prefix", `{"syncToken":"1","createDate":"x","prefixes":[
			{"ip_prefix":"3.0.0.0/15","region":"ap-southeast-1","service":"AMAZON"},
			{"ip_prefix":"3.0.0.0/","region":"ap-southeast-1","service":"AMAZON"}]}`, "",
			[]string{"AWS ip-ranges.json: prefixes[1]", `"3.0.0.0/"`}},
		{"aws v6 in v4 list", `{"syncToken":"1","createDate":"x","prefixes":[{"ip_prefix":"2600::/16","region":"us-east-1","service":"EC2"}]}`, "",
			[]string{"prefixes[0]", "not an IPv4 prefix"}},
		{"aws no region", `{"syncToken":"1","createDate":"x","prefixes":[],"ipv6_prefixes":[{"ipv6_prefix":"2600::/16","service":"EC2"}]}`, "",
			[]string{"ipv6_prefixes[0]: no region"}},
		{"aws wrong key", `{"syncToken":"1","createDate":"x","prefixes":[],"ipv6_prefixes":[{"ip_prefix":"2600::/16","region":"us-east-1","service":"EC2"}]}`, "",
			[]string{"ipv6_prefixes[0]: no ipv6_prefix"}},
		{"aws wrong type", "{\"syncToken\":\"1\",\"createDate\":\"x\",\n\"prefixes\":[{\"ip_prefix\":42}]}", "",
			[]string{"AWS ip-ranges.json: line 2", "cannot unmarshal number"}},
		{"gcp both", `{"syncToken":"1","creationTime":"x","prefixes":[{"ipv4Prefix":"8.8.8.0/24","ipv6Prefix":"2001:4860::/32","scope":"global"}]}`, "",
			[]string{"prefixes[0]: both ipv4Prefix and ipv6Prefix"}},
		{"gcp neither", `{"syncToken":"1","creationTime":"x","prefixes":[{"service":"Google Cloud","scope":"us-east1"}]}`, "",
			[]string{"prefixes[0]: neither ipv4Prefix nor ipv6Prefix"}},
		{"gcp scope missing", `{"syncToken":"1","creationTime":"x","prefixes":[
			{"ipv4Prefix":"8.8.8.0/24","scope":"us-east1"},{"ipv4Prefix":"8.8.4.0/24"}]}`, "",
			[]string{"prefixes[1]: no scope, while other entries have one"}},
		{"azure bad prefix", `{"changeNumber":1,"cloud":"Public","values":[{"name":"AzureCloud.eastus","properties":{"region":"eastus","addressPrefixes":["20.42.0.0/17","20.42.0.0.0/17"]}}]}`, "",
			[]string{"values[0] (AzureCloud.eastus): addressPrefixes[1]", `"20.42.0.0.0/17"`}},
		{"azure no properties", `{"changeNumber":1,"cloud":"Public","values":[{"name":"AzureCloud"}]}`, "",
			[]string{"values[0]: no name or no properties"}},
		{"cloudflare failure", `{"result":null,"success":false,"errors":[{"code":10000,"message":"Authentication error"}],"messages":[]}`, "",
			[]string{"success=false", "Authentication error"}},
		{"cloudflare no result", `{"success":true,"result":null,"errors":[]}`, "", []string{"no result"}},
		{"cloudflare v4 in v6", `{"result":{"ipv4_cidrs":[],"ipv6_cidrs":["1.1.1.0/24"]},"success":true}`, "",
			[]string{"result.ipv6_cidrs[0]", "not an IPv6 prefix"}},
		{"fastly bad", `{"addresses":["23.235.32.0/20","x"],"ipv6_addresses":[]}`, "", []string{"Fastly public-ip-list: addresses[1]", `"x"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			owners, err := Parse("src.file", []byte(tt.data), tt.provider)
			if err == nil {
				t.Fatalf("Parse = %d owners, want an error", len(owners))
			}
			// No sentinel tells these apart: what they say is for the
			// operator who fixes the file.
			errtest.WantMessage(t, err, append([]string{"ipranges: src.file: "}, tt.want...)...)
		})
	}
}

func TestParseLenient(t *testing.T) {
	tests := []struct {
		name, data, provider, want string // want: the first owner's prefix
	}{
		// host bits are cleared, as routers do, rather than failing a provider's whole file
		{"host bits", "10.1.2.3/8\n", "lab", "10.0.0.0/8"},
		{"crlf and inline comment", "# list\r\n10.0.0.0/8 # lab\r\n", "lab", "10.0.0.0/8"},
		{"bare v6 address", "2001:db8::1\n", "lab", "2001:db8::1/128"},
		{"byte order mark", "\xef\xbb\xbf" + `{"addresses":["23.235.32.0/20"],"ipv6_addresses":[]}`, "", "23.235.32.0/20"},
		{"unused fields", `{"addresses":["23.235.32.0/20"],"comment":"new field"}`, "", "23.235.32.0/20"},
	}
	for _, tt := range tests {
		owners, err := Parse("src", []byte(tt.data), tt.provider)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := owners[0].Prefix.String(); got != tt.want {
			t.Errorf("%s: prefix %s, want %s", tt.name, got, tt.want)
		}
	}
}
