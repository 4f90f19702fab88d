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
