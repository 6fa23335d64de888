#!/usr/bin/env bash
# The real corpus for LDA: every manual page of Debian's `manpages` and
# `manpages-dev` (fixed version 6.03-2, bookworm), rendered to text with
# groff, one document per section of prose of a page (UNIT=section: the
# packages hold 1100 distinct pages, too few documents for 1024 nodes; NAME
# is joined to the page's first prose section; SYNOPSIS, LIBRARY, SEE ALSO
# and COLOPHON, which are code and page lists, are left out) or one per
# page (UNIT=page), tokenized by the app's own tokenizer (lower
# case, letters only, stop words, words seen fewer than MIN_COUNT times
# dropped) and written in UCI bag-of-words format, with a MANIFEST that
# records the package versions, groff's version and SHA-256 checksums.
#
#   experiments/lda_manpages.sh            # writes out/lda/manpages/
# Environment: OUT [out/lda/manpages]  MIN_COUNT [5]  TOOL [build/tests/lda_tool]
#   UNIT [section]
#   ANY_VERSION=1 accepts other package versions (the checksums then differ).
# Pages that are only a `.so` redirect to another page, and symlinks, are
# skipped (they would duplicate the page they point to).
set -euo pipefail
cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.."

OUT=${OUT:-out/lda/manpages}
MIN_COUNT=${MIN_COUNT:-5}
UNIT=${UNIT:-section}
[[ $UNIT == section || $UNIT == page ]] || { echo "lda_manpages.sh: UNIT is section or page" >&2; exit 1; }
TOOL=${TOOL:-build/tests/lda_tool}
WANT=6.03-2

[[ -x $TOOL ]] || { echo "lda_manpages.sh: $TOOL not built (cmake --build build)" >&2; exit 1; }
command -v groff >/dev/null || { echo "lda_manpages.sh: groff not installed (apt-get install groff-base)" >&2; exit 1; }
for p in manpages manpages-dev; do
  v=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null) ||
    { echo "lda_manpages.sh: package $p not installed (apt-get install $p=$WANT)" >&2; exit 1; }
  if [[ $v != "$WANT" && ${ANY_VERSION:-0} != 1 ]]; then
    echo "lda_manpages.sh: $p is $v, the corpus is defined on $WANT (ANY_VERSION=1 to go on)" >&2
    exit 1
  fi
done

mkdir -p -- "$OUT"
tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT
export LC_ALL=C.UTF-8

# Every page file of both packages, real files only, in byte order.
dpkg -L manpages manpages-dev | grep -E '^/usr/share/man/man[0-9][^/]*/[^/]+\.gz$' | LC_ALL=C sort -u |
  while read -r f; do [[ -f $f && ! -L $f ]] && echo "$f"; done > "$tmp/all"
: > "$tmp/pages"
while read -r f; do
  # a page that is one .so line (plus comments) only points elsewhere
  if zcat -- "$f" | grep -vE '^\.\\"|^[[:space:]]*$' | head -2 | awk 'NR==1 && /^\.so /{so=1} END{exit !(so && NR==1)}'; then
    continue
  fi
  echo "$f" >> "$tmp/pages"
done < "$tmp/all"
n=$(wc -l < "$tmp/pages")
echo "lda_manpages.sh: rendering $n pages with groff" >&2

# One line per document, "page<TAB>section<TAB>text": no hyphenation, wide
# lines, no overstrike; a section heading is a line of capitals at column 0.
render() {
  i=$1 f=$2 dir=$3
  zcat -- "$f" | groff -mandoc -Tutf8 -rHY=0 -rLL=300n -P-cbou 2>/dev/null |
    awk -v page="$f" -v unit="$UNIT" '
      function flush() {
        gsub(/[[:space:]]+/, " ", buf)
        if (unit == "page") { all = all " " buf }
        else if (sec == "NAME") { name = buf }
        else if (sec != "" && sec !~ /^(SYNOPSIS|LIBRARY|SEE ALSO|COLOPHON)$/ && buf ~ /[A-Za-z]/) {
          print page "\t" sec "\t" name " " buf; name = ""
        }
        buf = ""
      }
      /^[A-Z][A-Z0-9 ,\/()_-]*$/ { flush(); sec = $0; next }
      { buf = buf " " $0 }
      END { flush(); if (unit == "page") { gsub(/[[:space:]]+/, " ", all); print page "\t-\t" all } }' > "$dir/$i.txt"
}
export -f render
export UNIT
mkdir "$tmp/txt"
awk '{printf "%06d %s\n", NR, $0}' "$tmp/pages" | xargs -P 2 -n 2 bash -c 'render "$0" "$1" '"$tmp/txt"
for i in $(seq -f %06g 1 "$n"); do cat "$tmp/txt/$i.txt"; done > "$tmp/docs.tsv"
cut -f3 "$tmp/docs.tsv" > "$tmp/docs.txt"
cut -f1,2 "$tmp/docs.tsv" > "$tmp/units"

"$TOOL" text2uci "$tmp/docs.txt" "$OUT" manpages "$MIN_COUNT"
cp "$tmp/units" "$OUT/pages.manpages.txt"
{
  echo "corpus: Debian manual pages, one document per $UNIT (pages.manpages.txt: page and section of each, in order; units left without a word after tokenizing are dropped)"
  for p in manpages manpages-dev groff-base; do echo "$p $(dpkg-query -W -f='${Version}' "$p")"; done
  echo "rendered: groff -mandoc -Tutf8 -rHY=0 -rLL=300n -P-cbou; tokenizer: stale's (lower case, letters only, built-in stop words, min_count=$MIN_COUNT)"
  head -2 "$OUT/docword.manpages.txt" | paste -sd' ' | awk '{print "documents " $1 ", words " $2}'
  (cd "$OUT" && sha256sum docword.manpages.txt vocab.manpages.txt pages.manpages.txt)
} > "$OUT/MANIFEST"
cat "$OUT/MANIFEST" >&2
echo "$OUT/docword.manpages.txt"
