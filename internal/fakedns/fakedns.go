// Package fakedns is a DNS server on loopback for tests: it answers A and
// AAAA queries from a table, so code that resolves names (the sandbox's
// egress proxy) can be tested with names that point at private or changing
// addresses without any lookup leaving the machine.
package fakedns

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// Server is a running fake DNS server.
type Server struct {
	pc    net.PacketConn
	mu    sync.Mutex
	names map[string][]netip.Addr
	turn  map[string]int
}

// Start serves names until the test ends. A name with several addresses
// answers them in turn, one per query, as a DNS-rebinding attacker's server
// does. Names are lower-case, without the final dot; other names get an
// empty answer.
func Start(t testing.TB, names map[string][]netip.Addr) *Server {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{pc: pc, names: names, turn: map[string]int{}}
	t.Cleanup(func() { pc.Close() })
	go s.serve()
	return s
}

// Resolver returns a resolver that asks only this server.
func (s *Server) Resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", s.pc.LocalAddr().String())
	}}
}

func (s *Server) serve() {
	buf := make([]byte, 1500)
	for {
		n, addr, err := s.pc.ReadFrom(buf)
		if err != nil {
			return
		}
		var p dnsmessage.Parser
		h, err := p.Start(buf[:n])
		if err != nil {
			continue
		}
		q, err := p.Question()
		if err != nil {
			continue
		}
		name := strings.TrimSuffix(strings.ToLower(q.Name.String()), ".")
		b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true})
		b.EnableCompression()
		b.StartQuestions()
		b.Question(q)
		b.StartAnswers()
		s.mu.Lock()
		if addrs := s.names[name]; len(addrs) > 0 {
			a := addrs[s.turn[name]%len(addrs)]
			s.turn[name]++
			rh := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 0}
			switch {
			case q.Type == dnsmessage.TypeA && a.Is4():
				b.AResource(rh, dnsmessage.AResource{A: a.As4()})
			case q.Type == dnsmessage.TypeAAAA && a.Is6():
				b.AAAAResource(rh, dnsmessage.AAAAResource{AAAA: a.As16()})
			}
		}
		s.mu.Unlock()
		msg, _ := b.Finish()
		s.pc.WriteTo(msg, addr)
	}
}
