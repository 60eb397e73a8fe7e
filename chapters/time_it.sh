#!/bin/sh
# Times one click in the running blog (`make blog`) with curl, as a browser would send it:
# log in as the demo account, then write a draft and publish it, or upload a photo.
#
#   sh chapters/time_it.sh publish
#   sh chapters/time_it.sh upload var/photos/big.jpg
#
# The blog is at http://127.0.0.1:$PORT (5000), or at $BLOG_URL: if you started it with
# `make blog PORT=5001`, run `PORT=5001 sh chapters/time_it.sh publish`. Forms carry a CSRF
# token, so each POST first reads the token from the page that holds the form. When something
# goes wrong, it says what, and what to do, and exits 1.
set -eu
blog="${BLOG_URL:-http://127.0.0.1:${PORT:-5000}}"
jar="$(mktemp)"
page="$(mktemp)"
trap 'rm -f "$jar" "$page"' EXIT

fail() {
  echo "time_it.sh: $*" >&2
  exit 1
}

fetch() {  # curl "$@" into $page; prints "status redirect seconds"; explains any failure
  code=0
  result="$(curl -s -o "$page" -b "$jar" -c "$jar" -w '%{http_code} %{redirect_url} %{time_total}' "$@")" || code=$?
  case "$code" in
    0) ;;
    7) fail "no blog answers at $blog. Start it in another terminal with \`make blog\`" \
         "(if it runs on another port, say PORT=5001 sh chapters/time_it.sh ...)." ;;
    *) fail "curl could not reach $blog (curl's exit code $code)." ;;
  esac
  status="${result%% *}"
  if [ "$status" -ge 500 ]; then
    fail "the blog answered $status to ${what}: an error in the code. The terminal running" \
      "\`make blog\` shows the traceback."
  elif [ "$status" -ge 400 ]; then
    fail "the blog answered $status to ${what}."
  fi
  echo "$result"
}

token() {  # the CSRF token on page $1
  what="GET $1"
  fetch "$blog$1" >/dev/null
  sed -n 's/.*name="csrf_token" type="hidden" value="\([^"]*\)".*/\1/p' "$page" | head -n 1
}

post() {  # POST the fields that follow $2 to $1, with the token of page $2
  url="$1" form="$2"
  shift 2
  csrf="$(token "$form")"
  what="POST $url"
  fetch -F "csrf_token=$csrf" "$@" "$blog$url"
}

redirect() {  # the redirect in a fetch's result, or fail saying what happened instead
  target="$(echo "$1" | cut -d' ' -f2)"
  [ -n "$target" ] || fail "$2"
  echo "$target"
}

login="$(post /login /login -F email=demo@example.com -F password=workshop-demo)"
no_account="logging in as demo@example.com failed: the dev blog has no demo account."
redirect "$login" "$no_account \`make chapter-N-start\` (or \`make reset\`) seeds it." >/dev/null
case "${1:-}" in
  publish)
    draft="$(post /articles/new /articles/new -F title=Timed -F body='How long?')"
    target="$(redirect "$draft" "writing the draft failed.")"
    article="/articles/$(basename "$target")"
    took="$(post "$article/publish" "$article")"
    echo "Publishing took ${took##* } s"
    ;;
  upload)
    [ -f "${2:-}" ] || fail "usage: $0 upload PHOTO (\`.venv/bin/python -m chapters.photos\` writes some)"
    done="$(post /articles/new /articles/new -F title=Photo -F body='A photo.' -F "image=@$2")"
    target="$(redirect "$done" "the upload failed.")"
    echo "Uploading $2 took ${done##* } s; the article: $target"
    ;;
  *)
    echo "usage: $0 publish | $0 upload PHOTO" >&2
    exit 2
    ;;
esac
