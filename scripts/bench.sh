#!/usr/bin/env bash
# `make bench`: every benchmark, each side by side with its baseline in one
# run, printed as Markdown for docs/BENCHMARKS.md. Later components append
# their sections here.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${BENCH_COUNT:-5}
out=$(mktemp)
doc=$(mktemp)
trap 'rm -f "$out" "$doc"' EXIT
# Everything on stdout goes into docs/BENCHMARKS.md at the end.
exec 3>&1 1>"$doc"

echo "# Benchmarks"
echo
echo "Written by \`make bench\` (scripts/bench.sh); each number is measured side by side"
echo "with its baseline in the same run, on the machine named below. Regenerate"
echo "rather than edit."
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go version | cut -d' ' -f3), $(date -u +%Y-%m-%dT%H:%MZ)"
echo

echo "## Rewriter throughput over ../shared/corpus/phish-mail"
echo
echo "Command: \`go test -run '^\$' -bench 'RewriteCorpus|BaselineGoMessageRoundTrip' -benchtime 5x -count $COUNT ./rewriter\`"
echo "($(go version | cut -d' ' -f3), $(nproc) cores, $(date -u +%Y-%m-%d))"
echo
go test -run '^$' -bench 'RewriteCorpus|BaselineGoMessageRoundTrip' -benchtime 5x -count "$COUNT" ./rewriter | tee "$out" >&2
# Median of each metric per benchmark.
awk '
  /^Benchmark/ {
    name=$1; sub(/-[0-9]+$/, "", name)
    for (i=3; i<NF; i++) { if ($(i+1)=="MB/s") mb[name]=mb[name] " " $i; if ($(i+1)=="msgs/s") ms[name]=ms[name] " " $i }
  }
  function median(s,   a, n, i, j, t) {
    n=split(s, a, " ")
    for (i=1;i<=n;i++) for (j=i+1;j<=n;j++) if (a[j]+0<a[i]+0) { t=a[i]; a[i]=a[j]; a[j]=t }
    return (n%2) ? a[(n+1)/2] : (a[n/2]+a[n/2+1])/2
  }
  END {
    r="BenchmarkRewriteCorpus"; b="BenchmarkBaselineGoMessageRoundTrip"
    printf "| benchmark | MB/s (median of %d) | messages/s |\n|---|---|---|\n", split(mb[r], x, " ")
    printf "| Kensa rewriter (`Rewrite`, every link signed) | %.1f | %.0f |\n", median(mb[r]), median(ms[r])
    printf "| baseline: go-message parse + re-serialise, no change | %.1f | %.0f |\n", median(mb[b]), median(ms[b])
    printf "\nRatio rewriter/baseline: **%.2f** (goal: at least 0.5)\n", median(mb[r])/median(mb[b])
  }' "$out"

echo
echo "## Milter round trip, 100 KB HTML message"
echo
echo "Command: \`go test -run '^\$' -bench 'MilterNewsletter|MilterNoop' -benchtime 500x -benchmem -count 1 ./rewriter/milter\`"
echo "(end of message round trip over loopback TCP, from MAIL FROM to the accept with all modifications, client and milter in one process; the baseline is the same milter library and protocol conversation (rewriter/milter StartNoop: the message read as Kensa reads it) with a filter that accepts without looking. newsletter: 467 links and as many images; postfix-60links and postfix-300links: BenchmarkPostfix's two messages, in process. ns/op, B/op and allocs/op are per round trip, client included.)"
echo
go test -run '^$' -bench 'MilterNewsletter|MilterNoop' -benchtime 500x -benchmem -count 1 ./rewriter/milter | tee "$out" >&2
awk '
  /^Benchmark/ {
    name=$1; sub(/-[0-9]+$/, "", name)
    for (i=3;i<NF;i++) { if ($(i+1)=="p50-ms") p50[name]=$i; if ($(i+1)=="p99-ms") p99[name]=$i; if ($(i+1)=="ns/op") ns[name]=$i; if ($(i+1)=="B/op") by[name]=$i; if ($(i+1)=="allocs/op") al[name]=$i }
  }
  END {
    k="BenchmarkMilterNewsletter"; n="BenchmarkMilterNoop"
    print "| milter | message | p50 ms | p99 ms | ms/op | KB/op | allocs/op |\n|---|---|---|---|---|---|---|"
    split("BenchmarkMilterNewsletter BenchmarkMilterNewsletterPostfix/60links BenchmarkMilterNewsletterPostfix/300links BenchmarkMilterNoop", names, " ")
    split("newsletter postfix-60links postfix-300links newsletter", msgs, " ")
    for (j=1;j<=4;j++) { b=names[j]; if (b in p50)
      printf "| %s | %s | %s | %s | %.2f | %.0f | %s |\n", (b==n ? "baseline: no-op milter, same library and conversation" : "Kensa (`kensa milter`)"), msgs[j], p50[b], p99[b], ns[b]/1e6, by[b]/1024, al[b] }
    printf "\nAdded by Kensa at p99 (newsletter): **%.2f ms** (goal: at most 20 ms)\n", p99[k]-p99[n]
  }' "$out"

echo
echo "## Postfix with and without the milter, 100 KB HTML message"
echo
echo "Command: \`KENSA_REQUIRE=postfix go test -run '^\$' -bench BenchmarkPostfix -benchtime 200x -count 1 ./rewriter/milter\`"
echo "(a private Postfix on loopback delivering to smtp-sink; 200 messages per setup sent by 4 SMTP connections at once; msgs/s until all are delivered; SMTP latency is MAIL FROM to the reply to DATA, where the milter runs. Sender, Postfix and milter share the $(nproc) cores. CPU ms per message from /proc (10 ms ticks, so +-0.05 ms at 200 messages): all of Postfix's processes (cleanup, which talks to the milter and takes back the new body, apart), kensa milter's, and the test process's (the SMTP sender and, with-noop-milter, the no-op milter: the same library and protocol conversation as kensa milter).)"
echo
KENSA_REQUIRE=postfix go test -run '^$' -bench BenchmarkPostfix -benchtime 200x -count 1 ./rewriter/milter | grep -v '^ready' | tee "$out" >&2
awk '
  /^BenchmarkPostfix\// {
    split($1, p, "/"); links=p[2]; setup=p[3]; sub(/-[0-9]+$/, "", setup)
    for (i=3;i<NF;i++) { if ($(i+1)=="msgs/s") r[links,setup]=$i; if ($(i+1)=="smtp-p50-ms") a[links,setup]=$i; if ($(i+1)=="smtp-p99-ms") z[links,setup]=$i
      if ($(i+1)=="postfix-cpu-ms/msg") pc[links,setup]=$i; if ($(i+1)=="cleanup-cpu-ms/msg") cc[links,setup]=$i; if ($(i+1)=="milter-cpu-ms/msg") mc[links,setup]=$i; if ($(i+1)=="bench-cpu-ms/msg") bc[links,setup]=$i }
    seen[links]=1
  }
  END {
    print "| message | setup | msgs/s | SMTP p50 ms | SMTP p99 ms | Postfix CPU ms/msg | of which cleanup | kensa milter CPU ms/msg | test process CPU ms/msg |\n|---|---|---|---|---|---|---|---|---|"
    split("without-milter with-noop-milter with-kensa-milter", setups, " ")
    split("60links 300links", sizes, " ")
    for (i = 1; i <= 2; i++) for (s = 1; s <= 3; s++) {
      l = sizes[i]; name = setups[s]
      if ((l, name) in r) printf "| 100 KB, %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", l, name, r[l,name], a[l,name], z[l,name], pc[l,name], cc[l,name], ((l, name) in mc ? mc[l,name] : "-"), ((l, name) in bc ? bc[l,name] : "-")
    }
    for (i = 1; i <= 2; i++) { l = sizes[i]; if ((l, "without-milter") in r)
      printf "\n%s: throughput with Kensa / without milter **%.2f** (issue 12 bar: >= 0.8; a no-op milter alone: %.2f); p99 added by Kensa **%.1f ms** (goal 20 ms)\n", l, r[l,"with-kensa-milter"]/r[l,"without-milter"], r[l,"with-noop-milter"]/r[l,"without-milter"], z[l,"with-kensa-milter"]-z[l,"without-milter"] }
  }' "$out"
echo
echo "### Where the milter's time goes"
echo
cat <<'TEXT'
Measured on 2026-12-04 on the 2-core machine while two other benchmarks ran
(load average 7 to 21), so the wall-clock rows above move from run to run:
compare the CPU figures. "Before" is commit 392fd00, "after" this branch;
both were run alternately in one session.

Where the time went before, from
`go test -run '^$' -bench MilterNewsletterPostfix -benchtime 1000x -cpuprofile cpu.out ./rewriter/milter`
and `go tool pprof -top -cum`: for the 100 KB message with 60 links the
rewrite took about 1.1 ms of CPU: the HTML tokenizer (x/net/html
Tokenizer.Next) 0.35 ms, reading each href as a browser does (htmlDest:
WHATWG parse, UTS #46, the net/url cross-check) 0.15 ms, signing (linktoken
Codec.Link: HMAC-SHA256, AES-CTR, base64) 0.12 ms, line decoding and splicing
0.2 ms. The milter protocol (go-milter) took 0.3 ms on the milter's side and
garbage collection 0.45 ms: 1.5 MB was allocated per round trip (the body
read with io.ReadAll 213 KB, header and body joined 104 KB, the joined text
and its string copy 234 KB, the new part 108 KB, the new message 119 KB,
the library's body buffer and packets about 410 KB). With 300 links the
links dominate: htmlDest 0.92 ms a message (UTS #46 alone 0.41 ms),
signing 0.92 ms, the tokenizer 0.65 ms. A CPU profile of `kensa milter`
itself under BenchmarkPostfix split the same way: rewrite 37 to 58 %, the
milter protocol 10 to 21 %, GC 15 to 19 %.

Postfix's own share (BenchmarkPostfix, CPU ms per message from /proc):
cleanup took 0.95 to 1.3 ms without a milter, 1.45 to 1.75 with the no-op
milter (the milter conversation) and 2.0 to 2.35 with Kensa, so taking back
a replaced 100 KB body costs it about 0.5 ms; smtpd about 0.3 ms more with
any milter. The replacement already goes out in chunks of the negotiated
maximum (65535 bytes with Postfix: two packets for 100 KB; go-milter's
ReplaceBody reads the reader that way), so chunking has nothing to give.

What changed: the milter reads header and body into one slice of the right
size and hands ReplaceBody the new body as pieces (no io.ReadAll, no join,
no copy of the new message); a rewritten 7bit, 8bit or quoted-printable part
is spliced by runs of changed lines, its other bytes never copied; UTF-8 text
is the joined lines without a second copy; plain lower-case host names skip
UTS #46 (TestPlainHost compares the shortcut with the full path); no
strconv error allocations on every host name; an HTML part with no href,
action or <input is not tokenized (FuzzHTMLSkip); `kensa milter` runs at
GOGC 400 unless GOGC is set (GC was a sixth of its CPU, a quarter of that at
400). Rewritten output is byte for byte the same (golden files, fuzz seeds,
attack tests).

After, kensa milter's CPU per message in BenchmarkPostfix (two alternating
rounds each, same session, commit 0c4e7a8): 60 links 4.65 and 5.35 ms
before, 2.50 and 2.35 ms after; 300 links 8.75 and 7.65 ms before, 5.25 and
5.60 ms after. Two later runs with the last two commits (quoted-printable
decoded into one buffer, end tags' names read only when needed): 60 links
1.95 and 2.50 ms, 300 links 3.90 and 4.45 ms. In process
(BenchmarkMilterNewsletterPostfix, -benchmem, per round trip, client
included): 60 links 1.51 MB and 4301 allocations before, 0.93 MB and 3180
after; 300 links 2.43 MB and 14696 before, 1.74 MB and 11867 after. What
remains per message at 300 links: per link about 2.4 us of signing and 1.6
us of reading the href; the tokenizer 0.4 ms; the protocol 0.35 ms.

Why the 0.8 bar is not met: without a milter, Postfix (all its processes)
took 4.4 to 6 ms of CPU per message here, plus the sender and smtp-sink in
the test process. On cores shared by all of them, 0.8 leaves Kensa and the
extra Postfix work about a quarter of that, 1.1 to 1.5 ms; a milter that
does nothing already costs Postfix about 0.8 ms (and itself some), and a
replaced body 0.5 ms more. So with a milter at about 2.2 ms (60 links) or 4.2 ms
(300 links) of CPU a message the bar needs the milter off the MTA's cores
(one core then takes about 450 such messages a second at 60 links, 240 at
300); on shared cores
it needs a cheaper link signature and href reading (the two now cost more
than the tokenizer at 300 links).

2026-12-04, second round (issue 12's milter bar; "before" is commit
3364e93, "after" the code of 1385293). The other helpers' benchmarks ran
throughout (load average 2 to 31 on the 2 cores), so the msgs/s ratios of these runs
mean nothing (a no-op milter came out between 0.59 and 1.64 of no milter);
what follows are CPU times from /proc and allocations, before and after run
alternately in one session. Commands:
`KENSA_RUN_DIR=... KENSA_REQUIRE=postfix go test -run '^$' -bench BenchmarkPostfix -benchtime 200x -count 1 ./rewriter/milter`
(six before/after pairs, and two with the protocol change alone), `go test -run '^$' -bench 'MilterNewsletter|MilterNoop' -benchtime 500x -benchmem ./rewriter/milter`,
`go test -run '^$' -bench 'Link$|Open$' -benchmem ./clickproxy/linktoken`,
and the CPU profile of the in-process benchmark as above.

The protocol conversation. Postfix (milter_protocol 6) sends connect and
HELO once a session, and for each message MAIL, each RCPT, DATA, each
header field, the end of the header, the body in 64 KiB chunks and the end
of the message, each step after a packet of macros. go-milter's mailfilter
package, which Kensa used, asks for every step and has Postfix wait for the
milter's reply to MAIL, DATA and the end of the message. kensa milter reads
only the recipients, the header, the body and the queue ID; it now speaks
go-milter's protocol level (rewriter/milter/backend.go) and asks Postfix to
skip connect, HELO, MAIL and DATA, to wait only at the end of the message,
and to send no macro but {i}: per message four steps and their macro
packets fewer, and two waits for the milter fewer. Postfix's milter_*_macros
need no tuning: the milter's request replaces them on its connection. The
message is read straight into one pooled buffer (mailfilter kept each
header field as an object and the body in a buffer of its own, and Kensa
copied both into a third). The no-op baseline (StartNoop) now has the same
conversation and reads the message the same way, so that it stays "the same
library". Modifications sent are byte for byte those of before, compared
over all of testdata/rewrite and the phishing corpus under three policies;
TestNegotiation and the Postfix test's queue-ID check cover the rest.
Measured: the no-op milter in process took 0.57 to 0.63 ms of CPU per round
trip (client included) and 314 KB in 171 allocations before, 0.28 to 0.29
ms and 113 KB in 88 after. kensa milter at 60 links: 934 KB and 3181
allocations per round trip before, 643 KB and 3076 after. On Postfix's side
the saving is below what this load lets one see: smtpd took 0.85 to 1.45 ms
a message with either milter, before and after alike, and cleanup's part of
the conversation (header, body, end of message) did not change, since it
already sent the header and body without waiting. kensa milter on a Unix
socket instead of loopback TCP was also within the noise (two pairs of
runs). With this lever alone kensa milter's own CPU per message did not
move measurably (60 links 2.85 to 3.0 ms before and after, 300 links 5.0
to 5.3, at load 8 to 13).

Per link. linktoken already kept one AES block per key and pooled its
HMACs; a link now takes one allocation for its token instead of four (the
tag summed into the token's spare room, the context encrypted in place,
the destination written to the HMAC through the pooled state's buffer):
BenchmarkLink 9 allocations and 1136 B before, 5 and 1000 B after,
1.44 to 1.73 us before and 1.44 us after at load 11; the tokens are the
same (vectors, fuzz seeds), verification still hmac.Equal. Reading the
href: percent-encoding returns a path or query with nothing to encode as
it is, and common tag and attribute names are not copied. Per round trip at
300 links: 1.74 MB and 11868 allocations before, 1.41 MB and 8765 after
(60 links: 2477 allocations after). What the CPU profile of the 300-link
round trip shows now: the tokenizer 20 %, reading hrefs 11 %, signing 9 %
(about 1.5 us a link each for href and signature, mostly HMAC-SHA-256 and
the WHATWG parse), the protocol on the milter's side 8 %, allocation and
GC 20 % (the benchmark runs at GOGC 100, kensa milter at 400). What was
left allocating per link: the x/net/html tokenizer's copy of every tag name
and attribute it is asked for (bytes.ReplaceAll in TagName and TagAttr,
1100 a message) and the WHATWG parse's path segments.

A start tag whose raw name is none of a, area, form, input, button and img
is now skipped without asking the tokenizer its name (FuzzScannedTag): 60
links 1783 allocations per round trip, 300 links 8042.

After all of it, kensa milter's CPU per message under Postfix, pairs run one
after the other: 60 links 2.25, 2.15, 2.4, 2.2, 2.5 and 1.95 ms before,
1.95, 2.05, 2.5, 2.25, 2.05 and 2.4 after (no change the load lets one
see); 300 links 4.35, 4.25, 4.6, 4.8, 4.9 and 3.9 before, 3.35, 3.85, 3.2,
4.25, 3.65 and 3.6 after (0.3 to 1.4 ms less in every pair). In process at
GOGC 400 as in kensa milter, load 2 to 4, CPU per round trip with the
client (CPU profile's total over 2000 round trips, three alternating runs):
60 links 1.55 to 1.74 ms before, 1.24 to 1.58 after; 300 links 2.78 to 4.02
before, 2.70 to 3.02 after. Postfix's own CPU with Kensa did not change
beyond the noise (cleanup 1.6 to 2.9 ms a message before and after). The two
pairs run at load 2 to 4 gave throughput ratios of 0.56 and 0.61 (60 links)
and 0.41 and 0.51 (300 links) before, 0.72 and 0.62, 0.68 and 0.66 after,
but their runs without a milter moved between 211 and 294 msgs/s: not a
measurement of the bar.

Why the bar is still not met, from these CPU figures. On the quiet machine
(the table above) Postfix took 3.2 to 3.3 ms a message without a milter,
4.2 to 4.5 with the no-op milter and 4.7 (60 links) to 5.75 ms (300 links)
with Kensa: Kensa's replaced body is larger at 300 links (every link grows
by about 150 bytes), and Postfix takes it back and delivers it. The test
process (the sender) took 1.15 to 1.9 ms a message here. By CPU alone,
without a milter a message costs about 4.4 ms of the shared cores and with
Kensa about 4.7 + 2.2 + 1.3 = 8.2 (60 links) or 5.75 + 3.3 + 1.3 = 10.35
(300 links) after this round: ratios of 0.54 and 0.43 (0.53 and 0.41
before), where the quiet run measured 0.63 and 0.50, so the cores were not
always busy and the measured ratios sit about 0.1 above this count. So 0.8
needs Postfix's extra work and the milter together under about 1.1 ms a
message by the count (about 1.9 ms with that slack), and Postfix's extra
work alone with Kensa is 1.5 to 2.45 ms (0.8 to 1.2 of it the conversation
any milter costs, the rest taking back and delivering the new body). A
milter that cost nothing would at best just reach the bar at 60 links and
not at 300; what would reach it: the milter on cores of its own, and less
Postfix work for the changed message, which Kensa controls only through
what it sends back (one replaced body, one or two header fields).
TEXT

echo
# Debian's chromium-headless-shell, only for the render section's
# comparison row (the lighter engine Kensa does not run; not needed by the
# tests, so not in scripts/setup.sh).
if [ ! -x /usr/lib/chromium/chromium-headless-shell ] && [ "$(id -u)" = 0 ]; then
  echo "bench: installing chromium-headless-shell for the render comparison" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium-headless-shell >/dev/null 2>&1 || true
fi
echo "## Sandbox render latency over ../shared/corpus/pages"
echo
echo "Command: \`go test -run '^\$' -bench RenderCorpus -benchtime 60x -count 1 ./sandbox/inprocess\`"
echo "(each render: a fresh incognito context and tab in one headless Chromium, through the egress proxy; corpus pages served under their manifest host names over HTTP and HTTPS on loopback; 60 renders per row, cycling through the 272 pages in ID order; the baseline renders an empty page: the fixed cost of a context, a tab, the capture and the screenshot)"
echo
go test -run '^$' -bench RenderCorpus -benchtime 60x -count 1 ./sandbox/inprocess | tee "$out" >&2
awk '
  /^BenchmarkRenderCorpus\// {
    split($1, p, "/"); set=p[2]; c=p[3]; sub(/-[0-9]+$/, "", c); sub(/concurrency=/, "", c)
    for (i=3;i<NF;i++) { if ($(i+1)=="p50-ms") a[set,c]=$i; if ($(i+1)=="p95-ms") z[set,c]=$i; if ($(i+1)=="renders/min") r[set,c]=$i; if ($(i+1)=="failed") f[set,c]=$i }
  }
  END {
    print "| pages | concurrency | p50 ms | p95 ms | renders/min | failed |\n|---|---|---|---|---|---|"
    split("corpus baseline-empty-page corpus-headless-shell", sets, " ")
    for (s=1; s<=3; s++) for (c=1; c<=4; c*=2) if ((sets[s], c) in a) printf "| %s | %d | %.0f | %.0f | %.0f | %d |\n", sets[s], c, a[sets[s],c], z[sets[s],c], r[sets[s],c], f[sets[s],c]
    printf "\nAt concurrency 2: p50 **%.2f s**, p95 **%.2f s** (goal, issue 12: first click p50 <= 1.0 s, p95 <= 2.0 s)\n", a["corpus",2]/1000, z["corpus",2]/1000
    if (("corpus-headless-shell", 2) in a) printf "\nThe same corpus on Chromium'"'"'s headless shell (not what Kensa runs; see below), concurrency 2: p50 %.2f s, p95 %.2f s\n", a["corpus-headless-shell",2]/1000, z["corpus-headless-shell",2]/1000
    else print "\n(chromium-headless-shell is not installed: no comparison row)"
  }' "$out"

echo
echo "## The fixed cost of one render against a bare chromedp script (issue 12)"
echo
echo "Command: \`go test -run '^\$' -bench 'Floor|RenderSteps' -benchtime 20x -count 1 ./sandbox/browser\`"
echo "(Kensa: Browser.Render of an empty page through the egress proxy, Report.Duration; kensa-empty-page: each render (both at once at concurrency 2) starts on a sandbox as between people's clicks: the last render's tab closed and the spare tabs open again, untimed, as the bare script's close; kensa-back-to-back: each render starts as soon as the last one on its goroutine returned, so closing the last tab and opening the next spare compete with it. Floor: a bare chromedp script on a second Chromium with the same binary and switches less the proxies; per render a fresh incognito context (Target.createBrowserContext), a new tab, navigate to the same empty page on loopback until the load event, a JPEG screenshot of the viewport, then close tab and context, timed up to the screenshot. All in the same run, alternating per concurrency.)"
echo
go test -run '^$' -bench 'Floor|RenderSteps' -benchtime 20x -count 1 ./sandbox/browser | tee "$out" >&2
awk '
  /^BenchmarkFloor\// {
    split($1, p, "/"); set=p[2]; c=p[3]; sub(/-[0-9]+$/, "", c); sub(/concurrency=/, "", c)
    for (i=3;i<NF;i++) { if ($(i+1)=="p50-ms") a[set,c]=$i; if ($(i+1)=="p95-ms") z[set,c]=$i }
  }
  /^BenchmarkRenderSteps/ { for (i=3;i<NF;i++) if ($(i+1) ~ /-ms$/) { u=$(i+1); sub(/-ms$/, "", u); st[u]=$i } }
  END {
    f="bare-chromedp"
    print "| Kensa renders | concurrency | Kensa p50 ms | Kensa p95 ms | bare chromedp p50 ms | bare chromedp p95 ms | Kensa / bare, p50 | Kensa / bare, p95 |\n|---|---|---|---|---|---|---|---|"
    split("kensa-empty-page kensa-back-to-back", ks, " ")
    for (j=1; j<=2; j++) { k=ks[j]; for (c=1; c<=2; c++) if ((k, c) in a && (f, c) in a)
      printf "| %s | %d | %.0f | %.0f | %.0f | %.0f | **%.2f** | **%.2f** |\n", (j==1 ? "on an idle sandbox" : "back to back"), c, a[k,c], z[k,c], a[f,c], z[f,c], a[k,c]/a[f,c], z[k,c]/z[f,c] }
    print "\n(goal, issue 12: the fixed cost of one render at most 1.2x the bare script)"
    n=split("acquire context+tab setup navigate settle extract look-further screenshot close", s, " ")
    printf "\nOne Kensa empty-page render step by step in this run (BenchmarkRenderSteps, concurrency 1, median ms of each step; close comes after Render returned):\n\n|"
    for (i=1;i<=n;i++) printf " %s |", s[i]; printf " render p50 |\n|"
    for (i=1;i<=n+1;i++) printf "---|"; printf "\n|"
    for (i=1;i<=n;i++) printf " %.0f |", st[s[i]]; printf " %.0f |\n", st["render-p50"]
  }' "$out"
echo
echo "### Where a render's time goes"
echo
cat <<'TEXT'
Before issue 12's render work (measured 2026-12-03 with the command above, 20
renders each, concurrency 1, medians; the steps are marked by a test-only
hook, testHookStep in sandbox/browser/render.go, BenchmarkRenderSteps): a
Kensa empty-page render took 723 ms against the bare script's 256 ms. A fresh
incognito context and its tab took 167 ms; the device emulation 11 ms; the
Page.navigate command 14 ms; settle 449 ms, of which about 400 ms was the
fixed quiet period Config.Settle waited after every load event; extract.js
7 ms; looking further 7 ms; the JPEG screenshot 66 ms; the close (51 ms,
chromedp's CloseTarget, then Target.getTargets polled every 5 ms until the
tab is gone, then the context disposed of) came after Render returned but
held the render slot, so a render right behind waited for it.

What changed (sandbox/browser), each confirmed with the step timings on
2026-12-04, on the same 2 cores at load average 6 to 20 (other sessions
benchmarking), so read ratios from one run, not absolute times:

- Settle is a quiet window, 100 ms by default, counted from the last
  main-frame navigation event and the last script/XHR/fetch start or end,
  with none in flight: settle fell from ~450 to ~170 ms for the empty page.
  Late actions are still watched by the timers in virtual time; a read that
  a script redirect interrupts is done again after the new page settles.
- Spare tabs: one fresh incognito context and tab per render slot opened
  ahead (with its download directory and denied permissions), each used
  once: context+tab fell from ~167-437 ms to ~0. They are opened while no
  render runs, or, when none is left, while the renders load their pages:
  opened during the next render's set-up they made that set-up wait
  (setup 8 ms became 115-260 ms; once 9.7 s on a corpus page).
- A tab is closed by disposing of its browser context: close fell from
  ~50-90 ms (266 ms on corpus pages) to ~20 ms.
- Not changed: the screenshot. Half the resolution (desktop 683x384)
  saved 16 ms of ~70 (the frame is drawn whatever the size) at the cost
  of the thumbnail's readability for the SOC; the bare script pays the
  same screenshot.

After, in one run (load average 6 to 8): Kensa on an idle sandbox 280 ms
p50 against the bare script's 267 ms at concurrency 1 (1.05x), 462 against
563 ms at concurrency 2; back to back 373 ms (1.40x) and 829 ms (1.47x),
where closing the last tab and opening the next spare share the cores with
the render. BenchmarkRenderSteps: setup 6 ms, navigate 22, settle 168,
extract 17, looking further 16, screenshot 67, render 306 ms, close 20.

Corpus pages (BenchmarkRenderCorpus at concurrency 1, 60 pages, step
timings through a throwaway stderr log of each step; same load, base and
new one after the other): sum of steps p50 1543 -> 968-1079 ms, p95
2383 -> 1482-2294 ms (context+tab 437 -> 0, settle 825 -> 650-736, close
266 -> 24). At concurrency 2, back to back, corpus p50/p95 were 1416/2430
ms before and 1434/2313 ms after in one run at load average 11 to 13: with
two renders always running on 2 loaded cores there is no idle time to open
spares in, and each page's own loading (settle ~650-740 ms p50, the load
event waiting for every subresource) dominates. What would meet p50 <= 1 s
there: a quiet machine, or sending the set-up's CDP commands without
waiting for each answer and reading the page before its load event when
the document is parsed and the network is quiet.

Second round (2026-12-04, while two other benchmarks ran: load average 4
to 16; CPU figures, which the load hardly moves, rather than wall clock).
Where a corpus render's time goes, from a throwaway per-event log of the
tab (BenchmarkRenderCorpus, concurrency 1, 30 pages): navigate ~80 ms,
DOMContentLoaded at 300-650 ms, the load event within 10-20 ms of it (so
reading at DOMContentLoaded would save almost nothing), settle 110 ms
after it (the quiet window), extract ~40, looking further ~40, the
screenshot ~80. The subresources, though served on loopback, took 100-400
ms each: the cores were busy. CPU of every Chromium process, sampled from
/proc every 100 ms over a run (renderers are reparented, so
/usr/bin/time misses them): about 1.1 CPU-seconds per empty-page render
and 1.5 per corpus page, most of it in the browser process (perf: 70 % of
its samples on the UI thread, 22 % on the IO thread) and in one new
renderer process per tab. A throwaway benchmark that only opens a tab on
a data: page and closes it, 40 times: about 0.5-0.65 CPU-s each in a new
incognito context, and as much in the default context (a tab, not the
browser context, is what costs), so reusing contexts would buy nothing.
At concurrency 2 on 2 cores, two renders of 1.5 CPU-s each cannot both
finish within 1 s, whatever the waits: the corpus p50 at concurrency 2 is
CPU-bound on this machine.

What would meet it: fewer cores' worth of Chromium per render. Debian's
chromium-headless-shell (the old headless mode: no browser profile
services, no tab helpers) opened the same tab for about 0.2 CPU-s, and
rendered the corpus at concurrency 2 with p50 630 ms against full
Chromium's 1529 ms in one run at load ~6-15 (the table above now has that
row every time). Kensa does not run it: with it, TestFingerprint fails
(no window frame: outerHeight equals innerHeight), and a page sees
window.chrome undefined, no plugins or MIME types, pdfViewerEnabled false
and navigator.connection.rtt 0 (a probe page, full Chromium: an object,
5, 2, true, 100), the classic tells of a headless browser that kits test
before they show their form; TestHiddenFormAttacks/sandboxed-srcdoc and
two modal kits in TestCorpusEval (recall 95/97, below its 0.98 bar) fail
too. Making the shell pass for Chrome (stubbing those objects in the init
script) would be one more thing a kit can detect; the full browser stays.
Or more cores: two renders at once need two cores of their own.

Changed this round: a render that finds no spare tab ready but one being
opened waits for it instead of opening a second tab beside it (takeTab),
since two tabs opening at once on shared cores make both late.
TEXT

echo
echo "## Click proxy: cached-verdict clicks against a bare fasthttp 303"
echo
echo "Command: \`scripts/bench-clicks.sh\` (wrk -t2 -c64 -d10s --latency, twice each, alternating; the better run of each is shown)"
echo "(kensa serve with real Redis and the sandbox in process; the link's verdict is cached by one click before wrk starts, so every request takes the cached path: verify the link, overrides, in-process cache, 303, click event to the Redis stream with its index entries and counters, and the JSON click line. The baseline, scripts/bare303, is a fasthttp server with the same limits that answers the same 303 with no logic. wrk, the server and Redis share the $(nproc) cores, so CPU time per click is shown too: it hardly depends on what else runs.)"
echo
scripts/bench-clicks.sh | tee "$out" >&2
awk -F'\t' '
  $1=="kensa" || $1=="bare" { rps[$1]=$2; p50[$1]=$3; p99[$1]=$4 }
  $1=="mem" { rss=$2; hwm=$3 }
  $1=="cpu" { scpu=$2; rcpu=$3; bcpu=$4 }
  $1=="events" { emitted=$2; written=$3; dropped=$4; requests=$5 }
  function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
  END {
    print "| server | requests/s | p50 | p99 | CPU per request |\n|---|---|---|---|---|"
    printf "| Kensa, cached verdict | %s | %s | %s | kensa serve %s µs + Redis %s µs |\n", rps["kensa"], p50["kensa"], p99["kensa"], scpu, rcpu
    printf "| baseline: bare fasthttp 303 | %s | %s | %s | %s µs |\n", rps["bare"], p50["bare"], p99["bare"], bcpu
    printf "\nKensa / bare: **%.2f** of the requests per second (goal: at least 0.8); Kensa p99 **%s** (goal: at most 8 ms, and at most 1.5x the bare p99: here %.2fx)\n", rps["kensa"]/rps["bare"], p99["kensa"], ms(p99["kensa"])/ms(p99["bare"])
    printf "\nMemory of kensa serve (Go process; Chromium is separate): peak RSS %s, RSS after the runs %s\n", hwm, rss
    printf "\nClick events: %s requests answered by Kensa, %s events emitted, %s written to the Redis stream, %s dropped\n", requests, emitted, written, dropped
  }' "$out"
echo
echo "One cached click in process (no network; the real handler, click log and Redis): \`go test -run '^\$' -bench CachedClick -benchmem -benchtime 100000x -count 1 ./clickproxy\`"
echo
go test -run '^$' -bench CachedClick -benchmem -benchtime 100000x -count 1 ./clickproxy 2>&1 | grep -v '^redis:' | tee "$out" >&2
awk '
  /^BenchmarkCachedClick/ { for (i=3;i<NF;i++) m[$(i+1)]=$i }
  END {
    print "| ns/op | allocs/op | B/op | Go CPU per click (handler, click log writer, GC) | Redis CPU per click |\n|---|---|---|---|---|"
    printf "| %s | %s | %s | %.1f µs | %.1f µs |\n", m["ns/op"], m["allocs/op"], m["B/op"], m["cpu-ns/op"]/1000, m["redis-cpu-ns/op"]/1000
  }' "$out"
echo
echo "### Where a cached click's time goes"
echo
cat <<'TEXT'
Measured on 2026-12-03/04 (2 cores, Redis 7.0, go1.26) while two other
benchmarks ran on the machine (load average 15 to 25): the wrk figures of
those runs are low and their p99s are the machine's (the bare server's own
p99 was 120 to 320 ms), so the comparison below is of CPU time per click,
which load hardly changes. "Before" is commit 392fd00.

Commands: `go test -run '^$' -bench CachedClick -benchmem -benchtime 100000x
./clickproxy` (cpu-ns/op, redis-cpu-ns/op); `go test -run '^$' -bench 'Emit$'
-benchtime 200000x ./clickproxy/clicklog` (redis-cpu-us/event, 1,000
different clicks); `BENCH_CLICKS_PPROF=/tmp/serve.pprof
scripts/bench-clicks.sh` (CPU per click under wrk, a CPU profile of kensa
serve through `--pprof-listen`); `perf record --call-graph dwarf -p
REDIS_PID` during BenchmarkEmit.

| per cached click | before | after |
|---|---|---|
| Redis CPU, in process (BenchmarkCachedClick) | 26 to 30 µs | 9 to 12 µs |
| Redis CPU per event, 1,000 different clicks (BenchmarkEmit) | 30 to 31 µs | 16 to 19 µs |
| Go CPU, in process (handler, writer, GC) | 20 to 24 µs | 9 to 11 µs |
| allocations, in process | 41 (3.9 KB) | 18 to 19 (2.3 to 3.0 KB) |
| kensa serve CPU under wrk (4 runs each) | 35 to 43 µs | 28 to 29 µs |
| Redis CPU under wrk | 27 to 32 µs | 15 to 16 µs |
| bare303 CPU per request under wrk (same runs) | 11 to 15 µs | 12 to 13 µs |
| Kensa / bare under wrk, load average 15 to 25 (same runs) | 0.21 to 0.27 | 0.43 to 0.55 |

Before, Redis was the largest cost: the click log ran one Lua script per
event (EVALSHA, 256 per pipeline), 19 commands each (XADD, two XTRIMs, ZADD,
ZREMRANGEBYSCORE and EXPIRE for each of four index sets, two counters with
their EXPIREs): 28 µs of Redis CPU per click, more than kensa serve's own
handler, on the same two cores; under wrk the writer fell behind in one
run and 41,760 of 432,849 events were dropped for Redis (they were in the
JSON lines). Now one
script call writes a batch: an XADD per event, one ZADD per index set with
all of the batch's members, and the trims, EXPIREs and counters once per
batch. What is left in Redis is the index sets themselves (perf: ZADD 45% of
Redis's time, the skip list and hash of sets of hundreds of thousands of
members; turning ARGV into Lua strings 8%; XADD 6%): four sorted-set inserts
per click. Appending entry IDs to per-value streams instead of sorted sets
would make that an append, but changes the SOC's search (issue 13).

In kensa serve, under wrk (profile of the final build): the response's
write(2) is a third of the process's CPU and the request's read(2) 8%, as
in the bare server; the click event 11% (its JSON encoding 4%: once now,
for the line and the Redis entry, by a hand-written appender; it was 10%
with zap's encoder, and encoded twice before that, through a zap logger and
again for Redis); the link's MAC and decryption 9%; the click log's writer
5%; GC about 3%. Derived on every click before and now remembered in small
bounded memos: the User-Agent's device class (9% of a click in process; its
scanner check was remembered already), the destination's override key,
canonical URL, digest and registrable domain (the public suffix lookup
alone was 6%); the click counters' children are looked up once. The JSON
click lines' 200 ms flush used to fsync the file while holding the lock
every click's write takes (zapcore.BufferedWriteSyncer calls Sync under its
mutex): it now hands the lines to the kernel, and only shutdown fsyncs.
fasthttp's settings are those of bare303 already (same Concurrency, buffer
sizes and timeouts; both write the Date and default Content-Type headers);
Kensa's 303 is about 490 bytes against 141 (the security headers on every
answer), which costs little on loopback.

So a cached click costs Kensa about 28 µs of its own CPU and 15 µs of
Redis's against the bare server's 12 µs, with wrk's own CPU on the same
two cores: the 0.8x bar needs Kensa plus Redis near 20 µs a click on a
shared two-core machine. What would get there: Redis on other cores (as in
production, docs/deploy.md), or the stream-of-IDs indexes above (Redis's
part to a few µs); then the event's encoding and the link's crypto are the
largest parts of the handler.

Memory and the click-event buffer (measured 2026-12-04 on a quiet machine:
scripts/bench-clicks.sh while polling kensa serve's /metrics and
/proc/PID/status every 1.5 s): during each 10 s wrk run Redis wrote the
events more slowly than Kensa answered (about 30,000 against 38,000 a
second), so kensa_click_events_buffered rose to 64,521 and 83,031 events,
RSS with it to 183 MiB, and the writer caught up within two seconds after
each run (0 dropped). So on these shared cores a sustained 38,000 cached
clicks a second would fill the 100,000-event buffer in about 12 s and
drop events from the Redis stream (they stay in the JSON lines and are
counted in kensa_click_events_dropped_total); the rate this machine can
log without loss is Redis's, about 30,000 a second. The peak RSS in the
table above is that buffer, not a leak.

2026-12-04, second round (before: 3364e93, after: b8d8396). Commands:
`BENCH_CLICKS_KENSA=BIN scripts/bench-clicks.sh`, the two builds
alternating (its cpu line; `BENCH_CLICKS_PPROF=FILE` for kensa serve's
profile; `perf record -g -p REDIS_PID` for 8 s of a wrk run; `redis-cli -p
6391 INFO commandstats` and kensa serve's /metrics polled during one); `go
test -run '^$' -bench CachedClick -benchmem -benchtime 100000x
./clickproxy` and `go test -run '^$' -bench 'Emit$' -benchtime 200000x
./clickproxy/clicklog` (test binaries of both trees, alternating). The
wrk pairs below ran at 04:00 to 04:05 UTC with the load average falling
from 12 to 5; earlier pairs at load 7 to 19 gave the same CPU per click
(Redis 13.6 to 15.8 µs before, 8.0 to 9.6 after).

| | before | after |
|---|---|---|
| Redis CPU per click under wrk | 16.1, 14.8 µs | 8.3, 8.8, 8.7 µs |
| kensa serve CPU per click (same runs) | 27.0, 24.5 µs | 25.3, 26.6, 25.8 µs |
| bare303 CPU per request (same runs) | 13.0, 11.9 µs | 11.6, 11.3, 11.7 µs |
| Kensa / bare requests/s (same runs) | 0.49, 0.53 | 0.48, 0.34, 0.55 |
| Kensa p99 (bare p99) | 9.24 (5.70), 8.28 (6.64) ms | 8.45 (7.12), 12.19 (6.35), 13.83 (19.66) ms |
| click events buffered at the peak | 64,521 and 83,031 (measured before) | 1,327 (polled every 0.5 s) |
| events dropped for Redis | 0, 9,140 of 776,724 | 0, 0, 0 |
| peak RSS of kensa serve | 179, 207 MiB | 84, 84, 82 MiB |
| Redis CPU in process (BenchmarkCachedClick, load 4) | 11.7, 9.8 µs | 6.6, 6.9 µs |
| Go CPU in process (same runs; 6.4 to 10.4 µs for both at load 5 to 28) | 8.1, 9.2 µs | 9.4, 10.5 µs |
| ns/op and allocations in process (same runs) | 12,771 and 10,139; 18 (2.29 KB) | 6,407 and 8,508; 18 (2.29 KB) |
| Redis CPU per event, 1,000 different clicks (BenchmarkEmit) | 24.0, 23.1 µs (36,000 events/s) | 17.4, 18.0 µs (45,000 events/s) |

The wrk ratio did not move, and that is what it measured: before, Redis
wrote about 30,000 events a second against 38,000 clicks, the rest waiting
in kensa serve's buffer and written after the run, so a 10 s run did not
pay for all of its Redis work (and on this quiet machine one run filled
the 100,000-event buffer: 9,140 events dropped from the Redis stream). Now
Redis keeps up (1,327 events waiting at most) and its whole cost is inside
the run: the same ratio, sustained, with nothing dropped and 100 MiB less
memory.

Redis before (perf, under wrk): the hash table of the index sorted sets
was a quarter of its CPU (dictFind 13%, dictRehash 11%: four sets of
hundreds of thousands of members, growing), zslInsert 3%; commandstats:
2,571 script calls for 504,027 events (196 a batch). Now the clicks of a
batch that share an index set and a millisecond are one member (their
stream IDs joined by commas; a search splits them, TestSearchGroupedMembers;
docs/redis.md): under wrk a set gets about 5 members a batch instead of
196, and dictFind and dictRehash fell to 2% together (zslInsert 0.4%).
For mixed clicks (1,000 recipients, BenchmarkEmit) the cost was the
per-set upkeep: each batch trimmed and renewed the TTL of every set it
touched, two commands per click for sets of one recipient or message
each; a set is now tended on the writer's first write and then at most
once a minute (TestIndexTended). And the script takes three arguments
per event (the JSON, its time, its index sets' positions packed in one)
instead of three and one per index set, each an object Redis allocates
and a Lua string: Redis 5.3 and 5.4 µs per click in process against 5.6
and 6.9 for the build before it, at load 17 to 28 (within that noise).
What is left in Redis under wrk is per event: the Lua loop and the XADD of
the event's JSON (memmove and jemalloc 15%, page faults of the growing
stream 11%, system calls 4%, most of the rest in the script's Lua, whose
symbols are stripped); getting it much lower needs fewer bytes per event
in Redis or Redis on other cores (production, docs/deploy.md).

kensa serve (profile of 3f1461d under wrk): the response's
write(2) 38%, the request's read(2) 9%, the click handler 24% (the link's
MAC, decryption and parsing 9%, the click event 4%), the click log's
writer 8% (go-redis sending a batch 5%, building its arguments 3%), GC
mark 2%, allocation 6%. GOGC: in one pair of wrk runs GOGC=400 cost
24.4 µs a click against 24.7 at the default, with RSS 197 against 115
MiB, and in process cpu-ns/op was within the noise (6.5 and 7.0 against
6.4 and 7.9 µs), so kensa serve keeps Go's default (unlike kensa milter,
whose GC was a sixth of its CPU). kensa serve's own CPU did not change in
this round: what is left is spread thin, and the kernel's TCP write, which
the bare server pays too, is the largest part. On these two shared cores
a bare request costs about 20 µs with wrk's share (97,500 requests/s),
so 0.8x needs Kensa plus Redis near 16 µs a click, 5 µs beyond the bare
server's own 11.5: this round took them from about 41 to about 34 µs (25
+ 8.5), hence the 0.5 measured. What would meet the bar: Redis on other
cores (production, docs/deploy.md), which leaves kensa serve's 25 µs,
about 0.6 here; beyond that, a click event sent to Redis in fewer bytes,
and the handler's remaining work (the link's crypto, the event's
encoding) halved.
TEXT

echo "## Herd: 200 concurrent first clicks on one new link"
echo
echo "Command: \`go test -run '^\$' -bench Herd -benchtime 3x -count 1 ./clickproxy\`"
echo "(real Redis and sandbox; each iteration clicks one new link alone, then 200 clients click another new link at once; exactly one render per link is checked)"
echo
go test -run '^$' -bench Herd -benchtime 3x -count 1 ./clickproxy | tee "$out" >&2
awk '
  /^BenchmarkHerd/ { for (i=3;i<NF;i++) { if ($(i+1)=="one-click-ms") one=$i; if ($(i+1)=="200-clicks-all-answered-ms") herd=$i } }
  END {
    print "| clicks on a new link | time until all answered |\n|---|---|"
    printf "| 1 (one render) | %.0f ms |\n| 200 at once (one render, 199 waiters) | %.0f ms |\n", one, herd
  }' "$out"

echo
echo "## A saturated sandbox: a person's first click behind a flood (issue 16)"
echo
echo "Command: \`go test -run '^\$' -bench FloodedClick -benchtime 3x -count 1 ./clickproxy\`"
echo "(fake scanner, 50 ms a render, 2 slots in sandbox/fair as kensa serve has them; 200 distinct first clicks on one domain, then a person's first click on another. fair-key: FairKey = registrable domain, as the click proxy does; the baselines put every render in one queue, bounded as fair's defaults and unbounded. Nothing here is timed in a test.)"
echo
go test -run '^$' -bench FloodedClick -benchtime 3x -count 1 ./clickproxy | tee "$out" >&2
awk '
  /^BenchmarkFloodedClick\// {
    split($1, n, "/"); name=n[2]; sub(/-[0-9]+$/, "", name)
    for (i=3;i<NF;i++) { if ($(i+1)=="person-answer-ms") a[name]=$i; if ($(i+1)=="person-render-start-ms") r[name]=$i; if ($(i+1)=="person-real-verdict-%") v[name]=$i }
    order[++k]=name
  }
  END {
    print "| queueing | person answered after | person render started after | people given the real verdict |\n|---|---|---|---|"
    for (j=1;j<=k;j++) { x=order[j]; printf "| %s | %s ms | %s ms | %s %% |\n", x, a[x], (x in r ? r[x] : "-"), v[x] }
  }' "$out"

echo
echo "## Forged links: OpenTrimmed against Open (issue 16)"
echo
echo "Command: \`go test -run '^\$' -bench 'Open(Trimmed)?Forged' -count 1 ./clickproxy/linktoken\`"
echo "(a forged link 16 KB long; OpenTrimmed used to try up to 64 prefixes)"
echo
go test -run '^$' -bench 'Open(Trimmed)?Forged' -count 1 ./clickproxy/linktoken | tee "$out" >&2
awk '
  /^BenchmarkOpenTrimmedForged/ { t=$3 } /^BenchmarkOpenForged/ { o=$3 }
  END { print "| call | ns/op |\n|---|---|"; printf "| OpenTrimmed, forged 16 KB link | %s |\n| baseline: Open, same link | %s |\n", t, o }' "$out"

echo
echo "## SOC API: click search and export over 1,000,000 stored click events (issue 13)"
echo
echo "Command: \`go test -run '^\$' -bench SOCSearch -benchtime 1x -count 1 -timeout 40m ./clickproxy\`"
echo "(real Redis; 1,000,000 events over 29 days: 10,000 recipients, 2,000 domains, 50,000 URLs, 100,000 messages; meanwhile 4 clients click cached links on the same click proxy at 200 clicks/s in all. 60 rounds of six searches through GET /api/v1/clicks, each with its next page when there is one: by recipient, registrable domain, URL digest, message digest (indexed), a 6-hour range with action=block and a host substring (bounded stream scans). Then one streamed JSON Lines export of 3 days. Bar: search p99 <= 200 ms. docs/redis.md explains the indexes.)"
echo
go test -run '^$' -bench SOCSearch -benchtime 1x -count 1 -timeout 40m ./clickproxy 2>&1 | grep -v '^redis:' | tee "$out" >&2
awk '
  /^BenchmarkSOCSearch/ { for (i=3;i<NF;i++) { m[$(i+1)]=$i } }
  /socbench_test.go:.*p50/ { sub(/^.*socbench_test.go:[0-9]+: /, ""); rows[++k]=$0 }
  END {
    print "| measure | value |\n|---|---|"
    printf "| events stored | %d |\n| search p50 | %s ms |\n| search p99 | **%s ms** (bar: 200 ms) |\n", m["events"], m["search-p50-ms"], m["search-p99-ms"]
    printf "| export | %.0f events/s (%d events) |\n| clicks answered meanwhile | %.0f /s |\n| load (click log writer, with indexes) | %.0f events/s |\n", m["export-events/s"], m["exported-events"], m["clicks/s-meanwhile"], m["load-events/s"]
    print "\nBy kind of search:\n\n```"
    for (j=1;j<=k;j++) print rows[j]
    print "```"
  }' "$out"
echo "## Scaling out: render queue workers and click-proxy replicas (issue 15)"
echo
echo "Commands: \`go test -run '^\$' -bench 'ScaleRenders|ScaleClicks' -benchtime 1x -count 1 ./internal/scaletest\` and \`go test -run '^\$' -bench QueueRoundTrip -benchtime 2000x -count 1 ./sandbox/remote\`"
echo "(the processes of internal/scaletest's Topology on loopback: Redis, \`kensa worker\`s with 2 tabs each, \`kensa serve --sandbox=remote\` replicas. Renders: 24 new pages through the Redis render queue, 12 enqueued at a time. Clicks: one cached link, wrk -t1 -c32 -d5s against every replica at once, summed. Everything shares this machine's $(nproc) cores, so a second worker or replica adds processes, not cores: side by side, the figures show the queue's and the replicas' overhead, and the per-core rates docs/deploy.md projects from.)"
echo
go test -run '^$' -bench 'ScaleRenders|ScaleClicks' -benchtime 1x -count 1 ./internal/scaletest | tee "$out" >&2
go test -run '^$' -bench 'QueueRoundTrip' -benchtime 2000x -count 1 ./sandbox/remote | tee -a "$out" >&2
awk '
  /^BenchmarkScaleRenders\// {
    split($1, n, "/"); w=n[2]; sub(/-[0-9]+$/, "", w); sub(/workers=/, "", w)
    for (i=3;i<NF;i++) { if ($(i+1)=="renders/s") r[w]=$i; if ($(i+1)=="MiB-per-worker-peak") m[w]=$i; if ($(i+1)=="failed") f[w]=$i }
  }
  /^BenchmarkScaleClicks\// {
    split($1, n, "/"); k=n[2]; sub(/-[0-9]+$/, "", k); sub(/replicas=/, "", k)
    for (i=3;i<NF;i++) if ($(i+1)=="clicks/s") c[k]=$i
  }
  /^BenchmarkQueueRoundTrip/ { q=$3 }
  END {
    print "| workers (2 tabs each) | renders/s | failed | peak memory (PSS) per worker, Chromium included |\n|---|---|---|---|"
    for (w=1; w<=2; w++) printf "| %d | %.2f | %d | %.0f MiB |\n", w, r[w], f[w], m[w]
    print "\n| kensa serve replicas | cached clicks/s (sum) |\n|---|---|"
    for (k=1; k<=2; k++) printf "| %d | %.0f |\n", k, c[k]
    printf "\nRender queue round trip (enqueue, a worker takes it, reply, wake-up; no render): **%.2f ms** a job (`BenchmarkQueueRoundTrip`)\n", q/1e6
  }' "$out"
echo
echo "Load average after these runs: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores. Other work on the machine lowers every figure here; compare the rows with each other, not with other runs."
echo "## Detection over ../shared/corpus/pages (issue 11)"
echo
echo "Command: \`KENSA_REQUIRE=chromium go test -count=1 -v -run TestCorpusEval ./sandbox/inprocess\`"
echo "(every page rendered once through the real sandbox, two at a time; each report judged with the full brand list, and each branded phishing page judged again without its own brand: the brand ablation. Recall: phishing warned or blocked; block rate: phishing blocked; false positives: benign pages warned or blocked. Bars asserted in make test: recall >= 0.98, block rate >= 0.90, false positives <= 0.01 with none blocked, recall under ablation >= 0.95. How the rules decide: docs/detection.md)"
echo
KENSA_REQUIRE=chromium go test -count=1 -v -run TestCorpusEval -timeout 60m ./sandbox/inprocess 2>&1 | tee "$out" >&2 || true
awk '
  /full brand list: recall/ { sub(/.*full brand list: /, ""); full=$0 }
  /brand ablation \(/ { sub(/.*its brand\): /, ""); abl=$0 }
  /not warned: \[/ { sub(/.*corpus_eval_test.go:[0-9]+: /, ""); fail=$0 }
  END {
    print "| judged with | result |\n|---|---|"
    printf "| the full brand list | %s |\n| each branded phishing page without its own brand | %s |\n", full, abl
    print ""
    print "Pages that still miss (manifest IDs): " fail
  }' "$out"

exec 1>&3
cp "$doc" docs/BENCHMARKS.md
cat docs/BENCHMARKS.md
