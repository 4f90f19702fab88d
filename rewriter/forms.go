package rewriter

import (
	"strings"

	xhtml "golang.org/x/net/html"
)

// This file neutralises forms in mail (docs/mail-forms.md). A form in a
// message is how a phisher collects a password without a web page: the
// reader types into the mail and submits it to the phisher's server, and no
// link is ever clicked. So a form's action (and a button's formaction) that
// names a web page is rewritten like a link: the submission goes to the click
// proxy, which never forwards it (it answers 405 to anything but GET and
// HEAD on a Kensa link). A form with a password field is counted apart.

// pendingForm is an open <form>: its links wait for </form>, since a password
// field may come after the action.
type pendingForm struct {
	links    []*pendingLink
	password bool
}

// formTag handles <form>, <input> and <button>.
func (h *htmlScan) formTag(attrs []xhtml.Attribute, tag string, raw []byte, start int) {
	switch tag {
	case "form":
		h.finishForm()
		h.form = &pendingForm{}
		if p := h.attrLink(attrs, raw, start, "action"); p != nil {
			h.form.links = append(h.form.links, p)
		}
		return
	case "input":
		if t, _ := firstAttr(attrs, "type"); strings.EqualFold(strings.TrimSpace(t), "password") {
			// Any password field makes the message a phishing sign
			// (FlagPasswordForm), whether or not its form's action is
			// rewritten here: one outside a form may be tied to one by form=.
			h.lk.passwordField = true
			if h.form != nil {
				h.form.password = true
			} else {
				h.orphanPassword = true
			}
		}
	}
	p := h.attrLink(attrs, raw, start, "formaction")
	if p == nil {
		return
	}
	if h.form != nil {
		h.form.links = append(h.form.links, p)
		return
	}
	// A button outside a form (or tied to one by form=) still submits.
	h.form = &pendingForm{links: []*pendingLink{p}}
	h.finishForm()
}

// finishForm rewrites the open form's links and counts the form.
func (h *htmlScan) finishForm() {
	f := h.form
	if f == nil {
		return
	}
	h.form = nil
	n := 0
	for _, p := range f.links {
		if e, ok := h.lk.htmlLink(p, ""); ok {
			h.edits = append(h.edits, e)
			n++
		}
	}
	if n == 0 {
		return
	}
	h.lk.res.Forms++
	if f.password {
		h.lk.res.PasswordForms++
	}
}
