package api

import (
	"encoding/json"
	"testing"
	"time"
)

// The wire format is a contract: these bodies are what clients parse.
func TestWire(t *testing.T) {
	cases := []struct {
		v    any
		want string
	}{
		{Error{Error: "no such API", Code: CodeNotFound}, `{"error":"no such API","code":"not-found"}`},
		{Error{Error: "x", Code: CodeInternal, ClickID: "0123456789abcdef"}, `{"error":"x","code":"internal","click_id":"0123456789abcdef"}`},
		{Removed{Removed: true}, `{"removed":true}`},
		{Override{List: ListBlock, Kind: KindDomain, Value: "account-check.top"}, `{"list":"block","kind":"domain","value":"account-check.top"}`},
		{OverrideList{Overrides: []Override{{List: ListAllow, Kind: KindHost, Value: "a.example", Created: time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)}}},
			`{"overrides":[{"list":"allow","kind":"host","value":"a.example","created":"2026-11-30T03:00:00Z"}]}`},
		{ClickList{Clicks: []ClickEvent{}}, `{"clicks":[]}`},
	}
	for _, c := range cases {
		b, err := json.Marshal(c.v)
		if err != nil || string(b) != c.want {
			t.Errorf("%#v: %s %v, want %s", c.v, b, err, c.want)
		}
	}
}
