package testsite

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// Site is a running test server.
type Site struct {
	// Addr is the loopback address to map every host name to.
	Addr netip.AddrPort
	// SPKI is the base64 SHA-256 of the certificate's public key, for
	// browser.Config.TestTrustSPKI.
	SPKI string
	srv  *http.Server
	ln   net.Listener
}

// Start serves h on a free loopback port, over HTTP and HTTPS.
func Start(h http.Handler) (*Site, error) { return StartOn("127.0.0.1:0", h) }

// StartOn serves h on addr (a loopback HOST:PORT), over HTTP and HTTPS.
func StartOn(addr string, h http.Handler) (*Site, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "kensa test site"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"*.test"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	tcfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, NextProtos: []string{"http/1.1"}}
	s := &Site{
		Addr: netip.MustParseAddrPort(ln.Addr().String()),
		SPKI: base64.StdEncoding.EncodeToString(sum[:]),
		srv:  &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second},
		ln:   ln,
	}
	go s.srv.Serve(&sniffListener{Listener: ln, tls: tcfg})
	return s, nil
}

// Close stops the server.
func (s *Site) Close() error { return s.srv.Close() }

// sniffListener hands out plain connections and, for those that start
// with a TLS handshake record, TLS server connections.
type sniffListener struct {
	net.Listener
	tls *tls.Config
}

func (l *sniffListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &sniffConn{Conn: c, r: bufio.NewReader(c), tls: l.tls}, nil
}

// sniffConn decides on its first Read whether it is TLS. Deciding in
// Accept would stall every other connection behind one that has not sent
// anything yet (Chromium opens sockets ahead of need).
type sniffConn struct {
	net.Conn
	r       *bufio.Reader
	tls     *tls.Config
	once    sync.Once
	through net.Conn // what Read and Write go through
}

func (c *sniffConn) decide() {
	c.once.Do(func() {
		c.through = &peekedConn{Conn: c.Conn, r: c.r}
		if first, err := c.r.Peek(1); err == nil && first[0] == 0x16 {
			c.through = tls.Server(c.through, c.tls)
		}
	})
}

func (c *sniffConn) Read(p []byte) (int, error) {
	c.decide()
	return c.through.Read(p)
}

func (c *sniffConn) Write(p []byte) (int, error) {
	c.decide()
	return c.through.Write(p)
}

// peekedConn is a connection whose first bytes were read into r.
type peekedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
