#!/usr/bin/env bash
# check-man.sh TOOL [MANPAGE]: every long option that `TOOL --help` lists appears in the man
# page (default man/TOOL.1; help2man writes '-' as '\-'). Prints the missing ones; exit 1 if any.
# Regenerate the page with `make man` when an option changes.
set -u
tool=${1:?usage: check-man.sh TOOL [MANPAGE]}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
page=${2:-$root/man/$tool.1}
if [[ ! -r $page ]]; then
    echo "check-man: no man page $page (run make man)" >&2
    exit 1
fi
exe=$tool
if ! command -v "$exe" >/dev/null && [[ -x $root/build/$tool ]]; then exe=$root/build/$tool; fi
help=$("$exe" --help) || { echo "check-man: $tool --help failed" >&2; exit 1; }
# option lines of cxxopts' help: "  -h, --help ..." or "      --dt H ..."
options=$(awk 'match($0, /^ +(-[A-Za-z0-9], )?--[A-Za-z0-9][A-Za-z0-9-]*/) {
                   s = substr($0, RSTART, RLENGTH); sub(/^.*--/, "--", s); print s }' <<<"$help")
if [[ -z $options ]]; then
    echo "check-man: found no long options in $tool --help" >&2
    exit 1
fi
text=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$page")
missing=0
while read -r opt; do
    if ! grep -Eq -- "${opt}([^A-Za-z0-9-]|\$)" <<<"$text"; then
        echo "missing in ${page#"$root/"}: $opt"
        missing=1
    fi
done <<<"$options"
exit $missing
