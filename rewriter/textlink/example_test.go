package textlink_test

import (
	"fmt"

	"github.com/kensa-mail/kensa/rewriter/textlink"
)

func ExampleFind() {
	text := "詳細はhttps://example.jp/loginからログインし、www.example.co.jp/help（ヘルプ）をご覧ください。"
	for _, l := range textlink.Find(text) {
		fmt.Printf("%d-%d %s\n", l.Start, l.End, l.URL)
	}
	// Output:
	// 9-33 https://example.jp/login
	// 57-79 http://www.example.co.jp/help
}

func ExampleMismatch() {
	fmt.Println(textlink.Mismatch("https://www.amazon.co.jp/", "https://amazon-co-jp.example.top/signin"))
	fmt.Println(textlink.Mismatch("ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏ．ｊｐ", "https://login.example.co.jp/"))
	fmt.Println(textlink.Mismatch("こちらをクリック", "https://evil.example.top/"))
	// Output:
	// amazon.co.jp true
	// example.co.jp false
	//  false
}

func ExampleRegistrableDomain() {
	fmt.Println(textlink.RegistrableDomain("ｗｗｗ．例え。jp"))
	fmt.Println(textlink.RegistrableDomain("co.jp"))
	// Output:
	// xn--r8jz45g.jp <nil>
	//  publicsuffix: cannot derive eTLD+1 for domain "co.jp"
}
