package pages

import (
	"html/template"
	"maps"
	"slices"
	"sort"
	"testing"
	"text/template/parse"

	"github.com/kensa-mail/kensa/clickproxy/verdict"
)

// TestMessages checks the message table: both languages have the same keys
// and no empty text.
func TestMessages(t *testing.T) {
	if len(messages) != 2 || messages[JA] == nil || messages[EN] == nil {
		t.Fatalf("messages has languages %v, want ja and en", slices.Collect(maps.Keys(messages)))
	}
	for l, m := range messages {
		other := JA
		if l == JA {
			other = EN
		}
		for k, s := range m {
			if s == "" {
				t.Errorf("%s: %q is empty", l, k)
			}
			if _, ok := messages[other][k]; !ok {
				t.Errorf("%q is in %s but not in %s", k, l, other)
			}
		}
	}
}

// TestMessageKeysUsed checks that every key the templates and newView use
// exists, and that every key in the table is used.
func TestMessageKeysUsed(t *testing.T) {
	used := make(map[string]string) // key -> where
	// Keys written in the templates: {{msg "key"}}.
	tmpl := template.Must(template.New("").Funcs(funcs(JA)).ParseFS(templateFS, "templates/*.html"))
	for _, tt := range tmpl.Templates() {
		if tt.Tree == nil {
			continue
		}
		walkMsg(t, tt.Name(), tt.Tree.Root, used)
	}
	// Keys newView computes: every kind, level and error key.
	levels := []verdict.Level{verdict.Clean, verdict.Suspicious, verdict.Malicious, verdict.Unknown, ""}
	var reasons []verdict.Reason
	for _, l := range levels {
		reasons = append(reasons, verdict.Reason{Code: "x", Level: l, JA: "理由" + string(l), EN: "reason " + string(l)})
	}
	for _, k := range []Kind{KindWarn, KindBlock, KindChecking, KindError, KindUnchecked, KindReported} {
		for _, l := range levels {
			for _, e := range append(slices.Clone(errorKeys), "version", "no-such-key") {
				for _, recorded := range []bool{false, true} {
					v, err := newView(Page{Kind: k, Level: l, ErrorKey: e, Reasons: reasons, Recorded: recorded})
					if err != nil {
						t.Fatal(err)
					}
					for _, key := range []string{v.TitleKey, v.LeadKey, v.BodyKey, v.AdviceKey} {
						if key != "" {
							used[key] = "newView"
						}
					}
					for _, r := range v.Reasons {
						used[r.BadgeKey] = "newView"
					}
				}
			}
		}
	}
	if len(used) < 20 {
		t.Fatalf("found only %d keys in use: the template walk is broken", len(used))
	}
	for l, m := range messages {
		for k, where := range used {
			if _, ok := m[k]; !ok {
				t.Errorf("%s uses %q, which is not in messages[%s]", where, k, l)
			}
		}
	}
	var unused []string
	for k := range messages[JA] {
		if _, ok := used[k]; !ok {
			unused = append(unused, k)
		}
	}
	sort.Strings(unused)
	if len(unused) > 0 {
		t.Errorf("messages never used: %q", unused)
	}
}

// walkMsg records the literal keys of msg calls under node. A msg call with
// a computed key ({{msg .TitleKey}}) must take a field of the view, which
// TestMessageKeysUsed covers through newView.
func walkMsg(t *testing.T, name string, node parse.Node, used map[string]string) {
	t.Helper()
	switch n := node.(type) {
	case nil:
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walkMsg(t, name, c, used)
		}
	case *parse.ActionNode:
		walkMsg(t, name, n.Pipe, used)
	case *parse.IfNode:
		walkMsg(t, name, n.Pipe, used)
		walkMsg(t, name, n.List, used)
		walkMsg(t, name, n.ElseList, used)
	case *parse.RangeNode:
		walkMsg(t, name, n.Pipe, used)
		walkMsg(t, name, n.List, used)
		walkMsg(t, name, n.ElseList, used)
	case *parse.WithNode:
		walkMsg(t, name, n.Pipe, used)
		walkMsg(t, name, n.List, used)
		walkMsg(t, name, n.ElseList, used)
	case *parse.TemplateNode:
		walkMsg(t, name, n.Pipe, used)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			walkMsg(t, name, c, used)
		}
	case *parse.CommandNode:
		if id, ok := n.Args[0].(*parse.IdentifierNode); ok && id.Ident == "msg" {
			if len(n.Args) != 2 {
				t.Errorf("%s: %s: msg takes one key", name, n)
				return
			}
			switch a := n.Args[1].(type) {
			case *parse.StringNode:
				used[a.Text] = "template " + name
			case *parse.FieldNode:
			default:
				t.Errorf("%s: %s: the key must be a string or a field of the view", name, n)
			}
			return
		}
		for _, a := range n.Args {
			walkMsg(t, name, a, used)
		}
	}
}
