package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gomilter "github.com/d--j/go-milter"
	"github.com/redis/go-redis/v9"

	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/internal/redistest"
	"github.com/kensa-mail/kensa/internal/testenv"
)

// TestMilterRecordsMessages runs `kensa milter` with milter.redis set and
// sends it a message through the milter protocol: the message's record
// (Message-ID, recipients, links) is in Redis under the digest its links
// carry, as the SOC API reads it.
func TestMilterRecordsMessages(t *testing.T) {
	testenv.Require(t, testenv.Redis)
	rs := redistest.Start(t)
	dir := t.TempDir()
	_, keys, _ := run(t, nil, "keygen")
	kf := filepath.Join(dir, "keys.json")
	os.WriteFile(kf, []byte(keys), 0o600)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := filepath.Join(dir, "kensa.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("base_url: https://k.example\nkey_file: %s\nmilter:\n  listen: inet:%s\n  redis: redis://%s/0\n  message_retention: 1h\n", kf, addr, rs.Addr)), 0o600)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var errOut bytes.Buffer
	go func() { done <- runMilter(ctx, []string{"--config", cfg}, nil, io.Discard, &errOut) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	var s *gomilter.ClientSession
	for deadline := time.Now().Add(30 * time.Second); ; {
		if s, err = gomilter.NewClient("tcp", addr).Session(gomilter.NewMacroBag()); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("milter not listening: %v\n%s", err, errOut.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	defer s.Close()
	step := func(a *gomilter.Action, err error) {
		t.Helper()
		if err != nil || (a.Type != gomilter.ActionContinue && a.Type != gomilter.ActionAccept) {
			t.Fatalf("milter: %v %v\n%s", a, err, errOut.String())
		}
	}
	step(s.Conn("mx.example.top", gomilter.FamilyInet, 25, "203.0.113.5"))
	step(s.Helo("mx.example.top"))
	step(s.Mail("<sender@example.top>", ""))
	step(s.Rcpt("<taro@example.co.jp>", ""))
	step(s.Rcpt("<hanako@example.co.jp>", ""))
	step(s.DataStart())
	for _, f := range [][2]string{{"From", " a@example.top"}, {"To", " taro@example.co.jp"}, {"Message-ID", " <m1@example.top>"}, {"Content-Type", " text/plain; charset=utf-8"}} {
		step(s.HeaderField(f[0], f[1], nil))
	}
	step(s.HeaderEnd())
	mods, act, err := s.BodyReadFrom(strings.NewReader("Please see https://shop.example.co.jp/a and https://shop.example.co.jp/b\r\n"))
	step(act, err)
	if len(mods) == 0 {
		t.Fatal("the message was not rewritten")
	}

	d := linktoken.MessageDigest("<m1@example.top>")
	digest := hex.EncodeToString(d[:])
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	defer rdb.Close()
	b, err := rdb.Get(context.Background(), "kensa:v1:msg:"+digest).Bytes()
	if err != nil {
		t.Fatalf("no message record under %s: %v\n%s", digest, err, errOut.String())
	}
	var mi api.MessageInfo
	if err := json.Unmarshal(b, &mi); err != nil {
		t.Fatal(err)
	}
	if mi.MessageID != "<m1@example.top>" || strings.Join(mi.Recipients, ",") != "taro@example.co.jp,hanako@example.co.jp" || mi.Links != 2 {
		t.Errorf("message record %+v", mi)
	}
	if ttl := rdb.TTL(context.Background(), "kensa:v1:msg:"+digest).Val(); ttl <= 0 || ttl > time.Hour {
		t.Errorf("record TTL %v, want up to milter.message_retention (1h)", ttl)
	}
}
