package ratelimit

import (
	"net/netip"
	"testing"
	"time"
)

func TestAllow(t *testing.T) {
	l := New(Config{Rate: 2, Burst: 3})
	now := time.Unix(1.8e9, 0)
	a := netip.MustParseAddr("192.0.2.1")
	for i := 0; i < 3; i++ {
		if !l.Allow(a, now) {
			t.Fatalf("request %d within the burst refused", i)
		}
	}
	if l.Allow(a, now) {
		t.Error("fourth request at once allowed")
	}
	if !l.Allow(netip.MustParseAddr("192.0.2.2"), now) {
		t.Error("another client refused")
	}
	if !l.Allow(a, now.Add(500*time.Millisecond)) {
		t.Error("refused after a token came back")
	}
	if l.Allow(a, now.Add(500*time.Millisecond)) {
		t.Error("allowed twice on one token")
	}
}

func TestNetworks(t *testing.T) {
	l := New(Config{Rate: 1, Burst: 1})
	now := time.Unix(1.8e9, 0)
	// One IPv6 /64 is one client, whatever its interface IDs.
	if !l.Allow(netip.MustParseAddr("2001:db8:1:2::1"), now) || l.Allow(netip.MustParseAddr("2001:db8:1:2:ffff::9"), now) {
		t.Error("addresses of one /64 not limited together")
	}
	if !l.Allow(netip.MustParseAddr("2001:db8:1:3::1"), now) {
		t.Error("another /64 limited with the first")
	}
	// An IPv4-mapped IPv6 address is the IPv4 client.
	if !l.Allow(netip.MustParseAddr("198.51.100.7"), now) || l.Allow(netip.MustParseAddr("::ffff:198.51.100.7"), now) {
		t.Error("mapped address not the same client")
	}
}

func TestBoundedTable(t *testing.T) {
	l := New(Config{Rate: 1, Burst: 1, Clients: 100})
	now := time.Unix(1.8e9, 0)
	for i := 0; i < 10_000; i++ {
		l.Allow(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), now)
	}
	if n := l.table.Len(); n > 100 {
		t.Errorf("table holds %d clients, bound 100", n)
	}
}

func TestNil(t *testing.T) {
	var l *Limiter = New(Config{})
	if l != nil || !l.Allow(netip.MustParseAddr("192.0.2.1"), time.Now()) {
		t.Error("no rate must mean no limit")
	}
}

// BenchmarkAllow is the limiter's cost on every request of the click
// proxy: one known client network, never refused.
//
//	go test -run '^$' -bench Allow -benchmem ./clickproxy/ratelimit
func BenchmarkAllow(b *testing.B) {
	l := New(Config{Rate: 1e9, Burst: 1e9})
	a := netip.MustParseAddr("192.0.2.1")
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if !l.Allow(a, now) {
			b.Fatal("refused")
		}
	}
}

func TestKeyed(t *testing.T) {
	l := NewKeyed(Config{Rate: 1, Burst: 2, Clients: 10})
	now := time.Unix(1.8e9, 0)
	if !l.Allow("a", now) || !l.Allow("a", now) {
		t.Fatal("burst refused")
	}
	if l.Allow("a", now) {
		t.Error("third request at once allowed")
	}
	if !l.Allow("b", now) {
		t.Error("another key refused")
	}
	if !l.Allow("a", now.Add(time.Second)) {
		t.Error("refused after a token came back")
	}
	for i := 0; i < 1000; i++ {
		l.Allow(string(rune('a'+i%26))+string(rune(i)), now)
	}
	if n := l.table.Len(); n > 10 {
		t.Errorf("table holds %d keys, bound 10", n)
	}
	if NewKeyed(Config{}) != nil || !(*Keyed)(nil).Allow("x", now) {
		t.Error("zero rate is not 'no limit'")
	}
}
