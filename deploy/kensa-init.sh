#!/bin/sh
# kensa-init: makes, once, what the Kensa containers read from the
# kensa-secrets volume (mounted at /run/kensa): the link-signing keys, an API
# token for the SOC, and the Redis URL. Existing keys and tokens are kept, so
# running it again (every `docker compose up` does) changes nothing but the
# Redis URL, which follows KENSA_REDIS_URL.
set -eu
dir=${KENSA_SECRETS_DIR:-/run/kensa}
umask 077
if [ ! -s "$dir/keys.json" ]; then
	kensa keygen --out "$dir/keys.json"
	echo "kensa-init: new link-signing keys in $dir/keys.json"
fi
if [ ! -s "$dir/api-tokens" ]; then
	{ echo "# made by kensa-init; one bearer token per line"; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; echo; } >"$dir/api-tokens"
	echo "kensa-init: new API token in $dir/api-tokens"
fi
printf '%s\n' "${KENSA_REDIS_URL:?set KENSA_REDIS_URL}" >"$dir/redis-url.new"
mv "$dir/redis-url.new" "$dir/redis-url"
echo "kensa-init: ok"
