package dnscookie

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net/netip"
	"testing"
	"time"
)

// FuzzParse: any option data parses or is ErrMalformed, without panicking,
// and what parses is exactly the option, split at eight bytes.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "2464c4abcf10c957", "2464c4abcf10c957010000005cf79f111f8130c3eee29480",
		"2464c4abcf10c95701", "22681ab97d52c298010000005cf7c57926556bd0934c72f8aabbccddeeff00112233445566778899",
	} {
		f.Add(mustHex(f, s))
	}
	f.Fuzz(func(t *testing.T, option []byte) {
		client, server, err := Parse(option)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse(%x): unexpected error %v", option, err)
			}
			if n := len(option); n == 8 || (n >= 16 && n <= 40) {
				t.Fatalf("Parse refused a %d-byte option", n)
			}
			return
		}
		if !bytes.Equal(client[:], option[:ClientLen]) || !bytes.Equal(server, option[ClientLen:]) {
			t.Fatalf("Parse(%x) = %x, %x", option, client, server)
		}
		if server != nil && (len(server) < MinServerLen || len(server) > MaxServerLen) {
			t.Fatalf("Parse(%x): %d-byte server cookie", option, len(server))
		}
	})
}

// FuzzCheck: Check never panics and never accepts a server cookie the
// fuzzer made up, and a cookie Make returns always checks at that time.
func FuzzCheck(f *testing.F) {
	f.Add(mustHex(f, "2464c4abcf10c957010000005cf79f111f8130c3eee29480"), []byte{198, 51, 100, 100}, int64(1559731985))
	f.Add(mustHex(f, "22681ab97d52c298010000005cf7c57926556bd0934c72f8"), mustHex(f, "20010db80220000159ded0f4876982b8"), int64(1559741817))
	f.Add(make([]byte, 24), []byte{}, int64(0))
	jar := Jar{Current: mustSecret(f, rfcSecret), Previous: mustSecret(f, rfcOldSecret)}
	f.Fuzz(func(t *testing.T, option, addr []byte, unix int64) {
		client, server, err := Parse(option)
		if err != nil {
			return
		}
		ip, _ := netip.AddrFromSlice(addr)
		now := time.Unix(unix, 0)
		// The seeds are RFC 9018's own valid cookies: they are the only
		// made-up ones this jar can accept.
		if v := jar.Check(client, server, ip, now); v != Invalid && !isRFCExample(client, server) {
			t.Fatalf("Check accepted a made-up cookie %x for %s at %d: %v", server, ip, unix, v)
		}
		made := jar.Make(nil, client, ip, now)
		if v := jar.Check(client, made, ip, now); v != Valid {
			t.Fatalf("Check of Make's own cookie for %s at %d: %v", ip, unix, v)
		}
		if binary.BigEndian.Uint32(made[4:8]) != uint32(unix) {
			t.Fatalf("timestamp %x for time %d", made[4:8], unix)
		}
	})
}

// isRFCExample says whether the cookie is one RFC 9018 Appendix A made with
// the secrets FuzzCheck's jar holds.
func isRFCExample(client [ClientLen]byte, server []byte) bool {
	for _, s := range []string{
		"2464c4abcf10c957010000005cf79f111f8130c3eee29480",
		"2464c4abcf10c957010000005cf7a871d4a564a1442aca77",
		"fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5",
		"fc93fc62807ddb86010000005cf7a9acf73a7810aca2381e",
		"22681ab97d52c298010000005cf7c57926556bd0934c72f8",
	} {
		b, _ := hex.DecodeString(s)
		if bytes.Equal(client[:], b[:8]) && bytes.Equal(server, b[8:]) {
			return true
		}
	}
	return false
}
