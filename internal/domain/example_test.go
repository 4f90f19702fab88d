package domain_test

import (
	"fmt"

	"github.com/kensa-mail/kensa/internal/domain"
)

func ExampleMismatch() {
	fmt.Println(domain.Mismatch("https://www.amazon.co.jp/", "https://amazon-co-jp.example.top/signin"))
	fmt.Println(domain.Mismatch("ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏ．ｊｐ", "https://login.example.co.jp/"))
	fmt.Println(domain.Mismatch("こちらをクリック", "https://evil.example.top/"))
	// Output:
	// amazon.co.jp true
	// example.co.jp false
	//  false
}

func ExampleRegistrable() {
	fmt.Println(domain.Registrable("ｗｗｗ．例え。jp"))
	fmt.Println(domain.Registrable("co.jp"))
	// Output:
	// xn--r8jz45g.jp <nil>
	//  publicsuffix: cannot derive eTLD+1 for domain "co.jp"
}
