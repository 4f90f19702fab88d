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
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kensa-mail/kensa/clickproxy/api"
	"github.com/kensa-mail/kensa/clickproxy/linktoken"
	"github.com/kensa-mail/kensa/internal/postfixtest"
	"github.com/kensa-mail/kensa/internal/redistest"
	"github.com/kensa-mail/kensa/internal/testenv"
)

// TestMilterRecordsMessages runs `kensa milter` with milter.redis set behind
// a private Postfix and sends a message through it: the message's record
// (Message-ID, recipients, links) is in Redis under the digest its links
// carry, as the SOC API reads it.
func TestMilterRecordsMessages(t *testing.T) {
	testenv.Require(t, testenv.Redis)
	postfixtest.Require(t)
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
	var errOut testenv.Buffer
	go func() { done <- runMilter(ctx, []string{"--config", cfg}, nil, io.Discard, &errOut) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	for deadline := time.Now().Add(30 * time.Second); ; {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("milter not listening: %v\n%s", err, errOut.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Real Postfix in front, as in production: it gives the milter the
	// envelope recipients.
	pf := postfixtest.Start(t, postfixtest.Config{MilterAddr: "inet:" + addr, DefaultAction: "tempfail"})
	msg := "From: a@example.top\r\nTo: taro@example.co.jp\r\nSubject: test\r\nMessage-ID: <m1@example.top>\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\nPlease see https://shop.example.co.jp/a and https://shop.example.co.jp/b\r\n"
	pf.Send(t, "sender@example.top", []string{"taro@example.co.jp", "hanako@example.co.jp"}, []byte(msg))
	got := pf.WaitDelivered(t, 1, 60*time.Second)
	if bytes.Count(got[0], []byte("https://k.example/k/")) != 2 {
		t.Fatalf("the message was not rewritten:\n%s", got[0])
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
	slices.Sort(mi.Recipients)
	if mi.MessageID != "<m1@example.top>" || strings.Join(mi.Recipients, ",") != "hanako@example.co.jp,taro@example.co.jp" || mi.Links != 2 {
		t.Errorf("message record %+v", mi)
	}
	if ttl := rdb.TTL(context.Background(), "kensa:v1:msg:"+digest).Val(); ttl <= 0 || ttl > time.Hour {
		t.Errorf("record TTL %v, want up to milter.message_retention (1h)", ttl)
	}
}
