package unwrap

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzUnwrap checks that Unwrap, All and Opaque never panic, that a successful
// Unwrap returns an absolute http(s) URL with a host, that a failed one returns
// its input, and that All terminates within MaxDepth layers consistently with
// Unwrap. Seeds are every case of the table tests.
func FuzzUnwrap(f *testing.F) {
	add := func(in, _ string) { f.Add(in) }
	for _, vc := range vendorCases {
		vc.cases(add)
	}
	f.Add("https://protect-us.mimecast.com/s/0wSdCVON0gczLDq1tGaO_q/")
	f.Add(encodeV3("urldefense.us", "https://example.com/ía#/[]", notURL))

	f.Fuzz(func(t *testing.T, in string) {
		got, vendor, ok := Unwrap(in)
		if !ok {
			if got != in || vendor != "" {
				t.Fatalf("Unwrap(%q) = (%q, %q, false), want the input back", in, got, vendor)
			}
		} else {
			if vendor == "" {
				t.Fatalf("Unwrap(%q) ok without a vendor", in)
			}
			u, err := url.Parse(got)
			if err != nil {
				t.Fatalf("Unwrap(%q) = %q: %v", in, got, err)
			}
			if s := strings.ToLower(u.Scheme); s != "http" && s != "https" || u.Host == "" || u.Hostname() == "" || u.Opaque != "" {
				t.Fatalf("Unwrap(%q) = %q: not an absolute http(s) URL with a host", in, got)
			}
		}

		all, vendors := All(in)
		if len(vendors) > MaxDepth {
			t.Fatalf("All(%q) peeled %d layers", in, len(vendors))
		}
		if ok != (len(vendors) > 0) || ok && vendors[0] != vendor {
			t.Fatalf("All(%q) vendors %q disagree with Unwrap (%q, %v)", in, vendors, vendor, ok)
		}
		if len(vendors) == 0 && all != in {
			t.Fatalf("All(%q) = %q without unwrapping", in, all)
		}
		if len(vendors) > 0 && len(vendors) < MaxDepth {
			if _, _, again := Unwrap(all); again {
				t.Fatalf("All(%q) stopped early at %q", in, all)
			}
		}

		if v, opaque := Opaque(in); opaque && (ok || v == "") {
			t.Fatalf("Opaque(%q) = (%q, true) but Unwrap ok=%v", in, v, ok)
		}
	})
}
