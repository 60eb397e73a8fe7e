#!/bin/sh
# Times one click in the running blog (`make blog`) with curl, as a browser would send it:
# log in as the demo account, then write a draft and publish it, or upload a photo.
#
#   sh chapters/time_it.sh publish
#   sh chapters/time_it.sh upload var/photos/big.jpg
#
# The blog is at http://127.0.0.1:$PORT (5000), or at $BLOG_URL. Forms carry a CSRF token,
# so each POST first reads the token from the page that holds the form.
set -eu
blog="${BLOG_URL:-http://127.0.0.1:${PORT:-5000}}"
jar="$(mktemp)"
trap 'rm -f "$jar"' EXIT

token() {  # the CSRF token on page $1
  curl -sf -b "$jar" -c "$jar" "$blog$1" |
    sed -n 's/.*name="csrf_token" type="hidden" value="\([^"]*\)".*/\1/p' | head -n 1
}

post() {  # POST the fields that follow $2 to $1, with the token of page $2
  url="$1" page="$2"
  shift 2
  curl -sf -o /dev/null -b "$jar" -c "$jar" -w '%{redirect_url} %{time_total}' \
    -F "csrf_token=$(token "$page")" "$@" "$blog$url"
}

post /login /login -F email=demo@example.com -F password=workshop-demo >/dev/null
case "${1:-}" in
  publish)
    draft="$(post /articles/new /articles/new -F title=Timed -F body='How long?')"
    article="/articles/$(basename "${draft%% *}")"
    took="$(post "$article/publish" "$article")"
    echo "Publishing took ${took#* } s"
    ;;
  upload)
    [ -f "${2:-}" ] || { echo "usage: $0 upload PHOTO" >&2; exit 2; }
    done="$(post /articles/new /articles/new -F title=Photo -F body='A photo.' -F "image=@$2")"
    echo "Uploading $2 took ${done#* } s; the article: ${done%% *}"
    ;;
  *)
    echo "usage: $0 publish | $0 upload PHOTO" >&2
    exit 2
    ;;
esac
