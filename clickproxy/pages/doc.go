// Package pages renders the pages a person sees when Kensa stops a click:
// the interstitial (warn), the block page, the "checking this link" page, the
// error page for a broken or forged link, the page for an unsigned link, and
// the thanks for "report this link" (KindReported).
//
// These pages are where Kensa meets the people it protects, and they are
// served from Kensa's own origin to links an attacker wrote. So the package
// exists to keep two promises in one place, apart from the click proxy's
// server code:
//
// Safe to render anything. Every field of a Page is treated as hostile text
// (the destination, the redirect chain, the reasons, the shown domain): the
// pages are html/template documents with no script at all, and Headers gives
// the Content-Security-Policy that forbids every script, inline style, frame
// and foreign resource. The destination is never a link, an image source or
// a form action on any page, so Kensa cannot be used as an open redirector;
// the only way on is Page.ProceedURL, a path on Kensa's own origin that the
// click proxy signs, and every URL a page uses must be such a path
// (SameOriginPath) or it is left out. The error page never names a
// destination, and the page for an unsigned link shows its text as text.
//
// Clear to people who are not security experts. The pages say what Kensa
// found in plain Japanese or English (PickLang reads Accept-Language;
// Japanese is the default), show where the link really goes with the
// registrable domain highlighted and an IDN shown in both its Unicode and
// ASCII forms (Describe), put the domain the mail showed beside the real one,
// show the sandbox's screenshot and the redirect chain, say what to do, and
// give the click ID to quote to the security team. All text comes from one
// message table with the same keys in both languages. The layout works
// without script and at phone width, with only the stylesheet CSS.
//
// Render is safe for concurrent use; it renders the whole page before
// writing, so an error never leaves half a page. The package depends only
// on the standard library, golang.org/x/net, clickproxy/verdict and
// internal/domain (for the registrable domain), never on the server.
package pages
