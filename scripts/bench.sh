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
echo "## Milter round trip, 100 KB HTML message with ~300 links"
echo
echo "Command: \`go test -run '^\$' -bench 'MilterNewsletter|MilterNoop' -benchtime 500x -count 1 ./rewriter/milter\`"
echo "(end of message round trip over loopback TCP, from MAIL FROM to the accept with all modifications; the baseline is the same milter library with a filter that accepts without looking)"
echo
go test -run '^$' -bench 'MilterNewsletter|MilterNoop' -benchtime 500x -count 1 ./rewriter/milter | tee "$out" >&2
awk '
  /^Benchmark/ { name=$1; sub(/-[0-9]+$/, "", name); for (i=3;i<NF;i++) { if ($(i+1)=="p50-ms") p50[name]=$i; if ($(i+1)=="p99-ms") p99[name]=$i } }
  END {
    k="BenchmarkMilterNewsletter"; n="BenchmarkMilterNoop"
    print "| milter | p50 ms | p99 ms |\n|---|---|---|"
    printf "| Kensa (`kensa milter`) | %s | %s |\n", p50[k], p99[k]
    printf "| baseline: no-op milter, same library | %s | %s |\n", p50[n], p99[n]
    printf "\nAdded by Kensa at p99: **%.2f ms** (goal: at most 20 ms)\n", p99[k]-p99[n]
  }' "$out"

echo
echo "## Postfix with and without the milter, 100 KB HTML message"
echo
echo "Command: \`KENSA_REQUIRE_POSTFIX=1 go test -run '^\$' -bench BenchmarkPostfix -benchtime 200x -count 1 ./rewriter/milter\`"
echo "(a private Postfix on loopback delivering to smtp-sink; 200 messages per setup sent by 4 SMTP connections at once; msgs/s until all are delivered; SMTP latency is MAIL FROM to the reply to DATA, where the milter runs. Sender, Postfix and milter share the $(nproc) cores.)"
echo
KENSA_REQUIRE_POSTFIX=1 go test -run '^$' -bench BenchmarkPostfix -benchtime 200x -count 1 ./rewriter/milter | grep -v '^ready' | tee "$out" >&2
awk '
  /^BenchmarkPostfix\// {
    split($1, p, "/"); links=p[2]; setup=p[3]; sub(/-[0-9]+$/, "", setup)
    for (i=3;i<NF;i++) { if ($(i+1)=="msgs/s") r[links,setup]=$i; if ($(i+1)=="smtp-p50-ms") a[links,setup]=$i; if ($(i+1)=="smtp-p99-ms") z[links,setup]=$i }
    seen[links]=1
  }
  END {
    print "| message | setup | msgs/s | SMTP p50 ms | SMTP p99 ms |\n|---|---|---|---|---|"
    split("without-milter with-noop-milter with-kensa-milter", setups, " ")
    split("60links 300links", sizes, " ")
    for (i = 1; i <= 2; i++) for (s = 1; s <= 3; s++) {
      l = sizes[i]; name = setups[s]
      if ((l, name) in r) printf "| 100 KB, %s | %s | %s | %s | %s |\n", l, name, r[l,name], a[l,name], z[l,name]
    }
    for (i = 1; i <= 2; i++) { l = sizes[i]; if ((l, "without-milter") in r)
      printf "\n%s: throughput with Kensa / without milter **%.2f** (goal 0.8; a no-op milter alone: %.2f); p99 added by Kensa **%.1f ms** (goal 20 ms)\n", l, r[l,"with-kensa-milter"]/r[l,"without-milter"], r[l,"with-noop-milter"]/r[l,"without-milter"], z[l,"with-kensa-milter"]-z[l,"without-milter"] }
  }' "$out"

exec 1>&3
cp "$doc" docs/BENCHMARKS.md
cat docs/BENCHMARKS.md
