// Package domain says which site a host name belongs to: its registrable
// domain (eTLD+1 by the Public Suffix List) after folding full-width
// characters and ideographic full stops, lower-casing and IDNA ToASCII the
// way a browser does, so "ｗｗｗ．ａｍａｚｏｎ．ｃｏ．ｊｐ", "www.amazon.co.jp"
// and "https://amazon.co.jp/" name the same site and "paypal.com.evil.top"
// does not name paypal.com.
//
// It exists apart from the rewriter, the click proxy and the sandbox because
// all three ask the same question (is the shown domain the real one, which
// cache bucket does a host fall in, which brand owns a host) and must agree
// on the answer. It is a leaf: the standard library plus golang.org/x/net's
// publicsuffix and idna and golang.org/x/text/width, nothing of Kensa's
// (deps_test.go).
//
// Every function is pure, safe for concurrent use, and never panics.
package domain
