package pages_test

import (
	"fmt"

	"github.com/kensa-mail/kensa/clickproxy/pages"
)

func ExampleDescribe() {
	d := pages.Describe("https://login.amazon.co.jp.account-verify.top/signin?x=1")
	fmt.Printf("%s[%s]%s %s\n", d.Before, d.RegistrableUnicode, d.After, d.Path)
	d = pages.Describe("https://xn--pypal-4ve.com/login")
	fmt.Println(d.HostUnicode, d.HostASCII, d.IDN())
	// Output:
	// login.amazon.co.jp.[account-verify.top] /signin?x=1
	// pаypal.com xn--pypal-4ve.com true
}

func ExamplePickLang() {
	fmt.Println(pages.PickLang("en-US,en;q=0.9"))
	fmt.Println(pages.PickLang("en;q=0.1, ja;q=0.9"))
	fmt.Println(pages.PickLang("fr"))
	// Output:
	// en
	// ja
	// ja
}
