package dnsserver

import (
	"encoding/binary"
	"net"
	"net/netip"

	"github.com/miekg/dns"
)

// EDNS Client Subnet (RFC 7871). A resolver may tell us, in its query's
// OPT record, the subnet of the client it asks for; we answer geo names for
// that subnet and echo the option with the SCOPE PREFIX-LENGTH our answer
// depended on, so the resolver caches it for that many bits of its clients'
// addresses (0: for all of them).
//
// miekg/dns unpacks the option itself and refuses the whole message (so it
// gets a bare FORMERR, as any request that does not parse) for an unknown
// FAMILY, a SOURCE or SCOPE PREFIX-LENGTH beyond the family's size, and
// FAMILY 0 with a non-zero SOURCE. It keeps the ADDRESS in a buffer of the
// family's size, though, silently dropping octets beyond it and padding
// short ones, so the rest is checked here: SCOPE must be 0 in a query, no
// ADDRESS bit beyond SOURCE may be set, and the ADDRESS must hold exactly
// the octets SOURCE needs (RFC 7871 6). The octet count is recovered from
// the OPT record's RDLENGTH less the other options' lengths; where an
// option's length cannot be told from its unpacked form (LLQ, REPORTING,
// or an EXPIRE, UL or TCP-KEEPALIVE option that could have either of two
// lengths), that one check is skipped rather than refusing a good query.

// ECS address families (IANA Address Family Numbers). Family 0 with SOURCE
// 0 and no ADDRESS is what dig +subnet=0 sends, "use no address of mine",
// and what BIND and miekg accept.
const (
	ecsFamilyNone = 0
	ecsFamily4    = 1
	ecsFamily6    = 2
)

// Lookup limits: a SOURCE PREFIX-LENGTH longer than these is cut to them
// before the area lookup (RFC 7871 11.1 asks resolvers to send no more
// than /24 and /56, for the clients' privacy; we use no more either).
const (
	MaxECSBits4 = 24
	MaxECSBits6 = 56
)

// ecs is a query's ECS option, checked.
type ecs struct {
	present bool
	family  uint16
	source  uint8      // SOURCE PREFIX-LENGTH, echoed as asked
	addr    netip.Addr // ADDRESS, no bit set beyond source; invalid for family 0
}

// parseECS finds and checks the ECS option of a query's OPT record; ok is
// false when the option is malformed, or given twice (two subnets for one
// client cannot both be right). It does not allocate.
func parseECS(opt *dns.OPT) (e ecs, ok bool) {
	for _, o := range opt.Option {
		s, isECS := o.(*dns.EDNS0_SUBNET)
		if !isECS {
			continue
		}
		if e.present {
			return ecs{}, false
		}
		if e, ok = checkECS(s); !ok {
			return ecs{}, false
		}
	}
	if e.present && !ecsLengthExact(opt, e.source) {
		return ecs{}, false
	}
	return e, true
}

// checkECS checks what the unpacked option shows.
func checkECS(s *dns.EDNS0_SUBNET) (ecs, bool) {
	e := ecs{present: true, family: s.Family, source: s.SourceNetmask}
	if s.SourceScope != 0 {
		return ecs{}, false // RFC 7871 6: SCOPE PREFIX-LENGTH is 0 in queries
	}
	switch s.Family {
	case ecsFamilyNone:
		return e, s.SourceNetmask == 0
	case ecsFamily4:
		a4 := s.Address.To4()
		if a4 == nil || s.SourceNetmask > 32 {
			return ecs{}, false
		}
		e.addr = netip.AddrFrom4([4]byte(a4))
	case ecsFamily6:
		if len(s.Address) != net.IPv6len || s.SourceNetmask > 128 {
			return ecs{}, false
		}
		e.addr = netip.AddrFrom16([16]byte(s.Address))
	default:
		return ecs{}, false
	}
	masked := netip.PrefixFrom(e.addr, int(e.source)).Masked().Addr()
	return e, masked == e.addr
}

// ecsLengthExact reports whether the ECS option, as it came off the wire,
// held exactly the address octets its source prefix needs: the OPT's
// RDLENGTH must equal the options' lengths with the ECS option at that
// size. An OPT built in memory (RDLENGTH 0 with options) is taken as is.
func ecsLengthExact(opt *dns.OPT, source uint8) bool {
	if opt.Hdr.Rdlength == 0 {
		return true
	}
	rest := int(opt.Hdr.Rdlength)
	for _, o := range opt.Option {
		n, known := optionLen(o, source)
		if !known {
			return true
		}
		rest -= 4 + n
	}
	return rest == 0
}

// optionLen is the length of an option's data as it was on the wire, when
// its unpacked form tells; the ECS option's is the length it must have.
func optionLen(o dns.EDNS0, source uint8) (int, bool) {
	switch o := o.(type) {
	case *dns.EDNS0_SUBNET:
		return 4 + octets(source), true
	case *dns.EDNS0_COOKIE:
		return len(o.Cookie) / 2, true // kept as hex
	case *dns.EDNS0_NSID:
		return len(o.Nsid) / 2, true
	case *dns.EDNS0_PADDING:
		return len(o.Padding), true
	case *dns.EDNS0_LOCAL:
		return len(o.Data), true
	case *dns.EDNS0_DAU:
		return len(o.AlgCode), true
	case *dns.EDNS0_DHU:
		return len(o.AlgCode), true
	case *dns.EDNS0_N3U:
		return len(o.AlgCode), true
	case *dns.EDNS0_EDE:
		return 2 + len(o.ExtraText), true
	case *dns.EDNS0_ESU:
		return len(o.Uri), true
	case *dns.EDNS0_ZONEVERSION:
		return 2 + len(o.Version), true
	case *dns.EDNS0_EXPIRE:
		return 0, o.Empty
	case *dns.EDNS0_UL:
		return 8, o.KeyLease != 0
	case *dns.EDNS0_TCP_KEEPALIVE:
		return 2, o.Timeout != 0
	}
	return 0, false
}

// octets is how many ADDRESS octets a source prefix of bits needs.
func octets(bits uint8) int { return (int(bits) + 7) / 8 }

// echoLen is the size of the option we echo: code, length, FAMILY, the two
// prefix lengths and the address octets.
func (e *ecs) echoLen() int { return 8 + octets(e.source) }

// appendECS echoes the query's option (RFC 7871 7.2.1: FAMILY, SOURCE
// PREFIX-LENGTH and ADDRESS as asked) with our scope.
func appendECS(out []byte, e *ecs, scope uint8) []byte {
	n := octets(e.source)
	out = binary.BigEndian.AppendUint16(out, dns.EDNS0SUBNET)
	out = binary.BigEndian.AppendUint16(out, uint16(4+n))
	out = binary.BigEndian.AppendUint16(out, e.family)
	out = append(out, e.source, scope)
	switch e.family {
	case ecsFamily4:
		a := e.addr.As4()
		out = append(out, a[:n]...)
	case ecsFamily6:
		a := e.addr.As16()
		out = append(out, a[:n]...)
	}
	return out
}

// client is who a query is answered for: the ECS subnet when the query
// carries one, else the address the query came from (the resolver's).
type client struct {
	ecs    ecs        // a copy: a pointer would escape with the address handed to the area table
	remote netip.Addr // the zero Addr when unknown: the default answer
	// do: the query set the DO bit, so a nonexistent name in a signed
	// zone gets its compact denial made (the one answer signed per query).
	do bool
	// udp: the query came over UDP, whose source can be forged.
	udp bool
}

// lookupAddr returns the address an area is looked up for and how many of
// its leading bits were given: the ECS subnet, cut to the lookup limit, or
// the whole source address. It does not allocate.
func (c *client) lookupAddr() (netip.Addr, int) {
	if c.ecs.present {
		if c.ecs.family == ecsFamilyNone {
			return netip.Addr{}, 0
		}
		bits := min(int(c.ecs.source), maxLookupBits(c.ecs.addr))
		return netip.PrefixFrom(c.ecs.addr, bits).Masked().Addr(), bits
	}
	return c.remote, c.remote.BitLen()
}

func maxLookupBits(a netip.Addr) int {
	if a.Is4() {
		return MaxECSBits4
	}
	return MaxECSBits6
}

// addrOf is the IP address of a query's sender, IPv4 unmapped (a
// dual-stack socket reports IPv4 senders as ::ffff:a.b.c.d).
func addrOf(a net.Addr) netip.Addr {
	switch a := a.(type) {
	case *net.UDPAddr:
		return a.AddrPort().Addr().Unmap()
	case *net.TCPAddr:
		return a.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}
