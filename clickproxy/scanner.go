package clickproxy

import (
	"net/netip"
	"strings"
	"time"
)

// ScannerHints configure LooksLikeScanner.
type ScannerHints struct {
	// Ranges are the address ranges of security scanners that pre-fetch
	// links (other gateways in front of or beside Kensa, sandboxes of the
	// organisation's EDR...). Configured; none by default.
	Ranges []netip.Prefix
	// SoonAfterDelivery: a click within this time of the link being
	// written (the token's issue time, which is when the mail passed the
	// milter) is a machine, not a person reading mail. Default 10 s.
	SoonAfterDelivery time.Duration
}

// scannerAgents are User-Agent fragments of link scanners and HTTP
// libraries, lower case.
var scannerAgents = []string{
	"bot", "crawler", "spider", "scanner", "preview", "curl/", "wget/", "python-requests", "python-urllib",
	"go-http-client", "java/", "okhttp", "libwww", "httpclient", "headlesschrome", "phantomjs",
	"barracuda", "proofpoint", "mimecast", "safelinks", "microsoft office", "ms-office", "skypeuripreview",
	"trendmicro", "symantec", "forcepoint", "fireeye", "sophos", "zscaler", "paloalto",
}

// LooksLikeScanner says whether a click looks like a security scanner
// pre-fetching the link rather than a person, and why. Other gateways
// fetch links with HEAD, without Accept-Language, from known ranges, with
// tool User-Agents, or within seconds of delivery. It is a label for the
// click log and the SOC ("who really clicked"), and it keeps scanners
// from deciding verdicts: a scanner's click is answered from the cache
// but never starts a render (Server.decide).
func LooksLikeScanner(method, userAgent, acceptLanguage string, ip netip.Addr, issued, now time.Time, h ScannerHints) (bool, string) {
	return looksLikeScanner(scannerAgent(userAgent), method, userAgent, acceptLanguage, ip, issued, now, h)
}

// looksLikeScanner is LooksLikeScanner with userAgent's scannerAgent
// already known (a Server remembers it: uaInfo).
func looksLikeScanner(agentWhy, method, userAgent, acceptLanguage string, ip netip.Addr, issued, now time.Time, h ScannerHints) (bool, string) {
	if method == "HEAD" {
		return true, "HEAD request"
	}
	if userAgent == "" {
		return true, "no User-Agent"
	}
	if agentWhy != "" {
		return true, agentWhy
	}
	for _, p := range h.Ranges {
		if ip.IsValid() && p.Contains(ip.Unmap()) {
			return true, "address in scanner range " + p.String()
		}
	}
	soon := h.SoonAfterDelivery
	if soon == 0 {
		soon = 10 * time.Second
	}
	if !issued.IsZero() && now.Sub(issued) >= 0 && now.Sub(issued) < soon {
		return true, "clicked " + now.Sub(issued).Round(time.Second).String() + " after delivery"
	}
	if strings.TrimSpace(acceptLanguage) == "" {
		return true, "no Accept-Language"
	}
	return false, ""
}

// scannerAgent says which scanner fragment the User-Agent contains, or "".
func scannerAgent(userAgent string) string {
	ua := strings.ToLower(userAgent)
	for _, a := range scannerAgents {
		if strings.Contains(ua, a) {
			return "User-Agent contains " + a
		}
	}
	return ""
}
