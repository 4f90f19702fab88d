package pages

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"github.com/kensa-mail/kensa/internal/domain"
)

// Destination describes a URL for display. The host is split into three
// parts so that a page can highlight the registrable domain, the part that
// decides whose site it is:
//
//	Before + RegistrableUnicode + After == HostUnicode
//
// holds for every input, including hosts that are not domain names (an IP
// address, a bare public suffix, an invalid IDN), for which the whole host is
// the highlighted part. All fields are untrusted text taken from the URL and
// must be escaped when shown.
type Destination struct {
	Scheme             string // lower case, "" when the URL could not be parsed
	Host               string // the host as written in the URL, without port and brackets
	HostASCII          string // lower-case ASCII (punycode) form
	HostUnicode        string // the same, with punycode labels decoded for display
	Registrable        string // registrable domain (eTLD+1), ASCII; the whole host when there is none
	RegistrableUnicode string // Registrable decoded for display
	Before             string // the part of HostUnicode before RegistrableUnicode, including the dot
	After              string // the part after it (a trailing dot), usually ""
	Port               string // explicit port, "" for none
	Path               string // everything after the host: escaped path, ?query and #fragment
	Raw                string // the URL as given, for when nothing else could be parsed
}

// IDN reports whether the host has a Unicode form different from its ASCII
// form, in which case a page shows both: a decoded name can imitate another
// ("pаypal.com" with a Cyrillic "а" is xn--pypal-4ve.com).
func (d Destination) IDN() bool { return d.HostUnicode != d.HostASCII }

// displayProfile converts between the ASCII and Unicode forms of a host for
// display. It is the browser's ("domain to ASCII" of the WHATWG URL
// Standard, as textlink uses to compare domains), so the ASCII form shown is
// the one the browser would look up.
var displayProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.Transitional(false),
	idna.StrictDomainName(false),
	idna.CheckHyphens(false),
)

// maxHost bounds the host Describe converts. A DNS name has at most 253
// bytes in ASCII; a longer host is shown as written, without conversion,
// which keeps punycode (quadratic in the length of a label) cheap.
const (
	maxHost  = 1024
	maxLabel = 256
)

// Describe parses rawURL for display. It never fails: a URL that cannot be
// parsed leaves everything but Raw empty, and a host that cannot be
// converted is shown as written (lower-cased).
func Describe(rawURL string) Destination {
	d := Destination{Raw: rawURL}
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return d
	}
	d.Scheme = strings.ToLower(u.Scheme)
	if u.Opaque != "" {
		d.Path = u.Opaque
	} else {
		d.Path = u.EscapedPath()
	}
	if u.ForceQuery || u.RawQuery != "" {
		d.Path += "?" + u.RawQuery
	}
	if u.Fragment != "" {
		d.Path += "#" + u.EscapedFragment()
	}
	d.Host = u.Hostname()
	d.Port = u.Port()
	if d.Host == "" {
		return d
	}
	splitHost(&d)
	return d
}

// splitHost fills the host fields of d from d.Host.
func splitHost(d *Destination) {
	labels := hostLabels(d.Host)
	uni := make([]string, len(labels))
	for i, l := range labels {
		uni[i] = labelUnicode(l)
	}
	d.HostASCII = strings.Join(labels, ".")
	d.HostUnicode = strings.Join(uni, ".")

	// The registrable domain is the last n labels of the host (ignoring one
	// trailing dot, as textlink does). It is cut from the labels already
	// converted, rather than converted again, so that the three parts always
	// add up to HostUnicode.
	reg, err := domain.Registrable(d.Host)
	end := len(labels)
	if end > 1 && labels[end-1] == "" {
		end--
	}
	n := strings.Count(reg, ".") + 1
	if err != nil || reg == "" || n > end || strings.Join(labels[end-n:end], ".") != reg {
		d.Registrable, d.RegistrableUnicode = d.HostASCII, d.HostUnicode
		return
	}
	d.Registrable = reg
	d.RegistrableUnicode = strings.Join(uni[end-n:end], ".")
	if end-n > 0 {
		d.Before = strings.Join(uni[:end-n], ".") + "."
	}
	if end < len(labels) {
		d.After = "."
	}
}

// hostLabels returns the lower-case ASCII labels of host: full-width
// characters and ideographic full stops folded and IDNA ToASCII applied
// label by label, so that one bad label does not spoil the others. A label
// that cannot be converted is kept lower-cased as written.
func hostLabels(host string) []string {
	if !utf8.ValidString(host) {
		host = strings.ToValidUTF8(host, "\uFFFD")
	}
	h := host
	if len(h) <= maxHost {
		h = domain.Fold(h)
	}
	labels := strings.Split(h, ".")
	for i, l := range labels {
		labels[i] = strings.ToLower(l)
		if len(l) > maxLabel {
			continue
		}
		if a, err := displayProfile.ToASCII(l); err == nil && a != "" && !strings.Contains(a, ".") {
			labels[i] = strings.ToLower(a)
		}
	}
	return labels
}

// labelUnicode decodes one punycode label for display, or returns it as is.
func labelUnicode(l string) string {
	if !strings.HasPrefix(l, "xn--") || len(l) > 63 {
		return l
	}
	u, err := displayProfile.ToUnicode(l)
	if err != nil || u == "" || strings.Contains(u, ".") {
		return l
	}
	return u
}
