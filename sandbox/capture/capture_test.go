package capture

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// A remote worker sends the Report as JSON: everything the rules and the
// pages read, screenshot and inline scripts included, must survive.
func TestReportRoundTrip(t *testing.T) {
	in := Report{
		URL: "https://a.example/", FinalURL: "https://b.example/login", Status: 200, Title: "t", Text: "x",
		Chain:     []Hop{{URL: "https://a.example/", Kind: "initial"}, {URL: "https://b.example/login", Status: 302, Kind: "http-redirect"}},
		Forms:     []Form{{Action: "https://c.example/post", Method: "post", Inputs: []Input{{Type: "password", Visible: true}}}},
		Images:    []Image{{Src: "logo.png", Alt: "Logo"}},
		Links:     []Link{{URL: "https://d.example/", Text: "go"}},
		Scripts:   Scripts{Sources: []string{"https://e.example/msal.js"}, Inline: "var x = 1;"},
		Downloads: []Download{{URL: "https://f.example/a.apk", FileName: "a.apk", Size: 3, Magic: []byte("PK\x03")}},
		Blocked:   []Blocked{{Host: "127.0.0.1", Reason: "loopback"}},
		SiteName:  "Example", Icons: []string{"https://a.example/favicon-example.ico"}, Headings: []string{"Sign in to Example"}, Copyright: "© 2026 Example Inc.",
		UserAgent: "ua", Language: "ja-JP", Mobile: true,
		Screenshot: []byte{0xff, 0xd8, 0xff, 0xe0, 0},
		StartedAt:  time.Date(2026, 12, 3, 1, 2, 3, 0, time.UTC), Duration: 1500 * time.Millisecond, Err: "e", CertError: "c",
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Report
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip changed the report:\n in %+v\nout %+v", in, out)
	}
}
