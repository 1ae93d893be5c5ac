#!/usr/bin/env bash
# End-to-end tests of the built tools (STYLE.md 6.7, miller-style cases).
#
#   tests/cli/run.sh [-p] BUILD_DIR [PATTERN...]
#
# Each directory tests/cli/cases/<tool>/<NNNN-name>/ holding a file `cmd` is a case:
#   cmd          one bash command line; runs in a fresh empty directory, stdin /dev/null,
#                BUILD_DIR first on PATH, $CASE = the case directory
#   expout       expected stdout (absent: not checked); compared field by field: the same
#                text, or numbers within the relative tolerance
#   experr       expected stderr, compared literally (absent: not checked)
#   should-fail  the expected exit code (empty: any non-zero); absent: 0
#   tol          relative tolerance for the numbers of stdout (default 1e-12)
#   check        run afterwards in the same directory by bash -e: every command must succeed
# -p repopulates expout/experr from the current tools, for review with `git diff`: it rewrites
# the ones a case has (to start a new case, create them empty first).
# PATTERNs select the cases whose path contains one of them.
set -u

populate=0
if [[ ${1-} == -p ]]; then populate=1; shift; fi
if [[ $# -lt 1 || ! -d $1 ]]; then
    echo "usage: $0 [-p] BUILD_DIR [PATTERN...]" >&2
    exit 64
fi
build=$(cd "$1" && pwd)
shift
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PATH="$build:$PATH" LC_ALL=C

scratch=$(mktemp -d "${TMPDIR:-/tmp}/flowkit-cli.XXXXXX") || exit 70
trap 'rm -rf "$scratch"' EXIT

timeout_cmd=()
if command -v timeout >/dev/null; then timeout_cmd=(timeout -k 5 60); fi

# awk -v tol=TOL -v expected=FILE "$compare_awk" ACTUAL: exit 0 when ACTUAL matches FILE,
# else print the first difference and exit 1. TOL < 0: lines compared literally. Otherwise
# lines must have the same number of comma-separated fields; within a field every decimal
# number (with its minus sign unless that follows a letter or digit, as in x-1) is compared
# with relative tolerance TOL (absolute floor 1e-300), and the text around the numbers
# literally, so CSV and JSON Lines both work.
# shellcheck disable=SC2016  # awk program: its $ are awk's
compare_awk='
function skeleton(f, nums,    out, n, pre) {
    out = ""; n = 0
    while (match(f, /[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?|\.[0-9]+([eE][-+]?[0-9]+)?/)) {
        pre = substr(f, 1, RSTART - 1)
        # "-0.5": keep the sign with the number so that -x and x differ numerically
        if (pre ~ /-$/ && (RSTART == 2 || substr(f, RSTART - 2, 1) ~ /[^A-Za-z0-9_.]/)) {
            pre = substr(pre, 1, length(pre) - 1)
            nums[++n] = "-" substr(f, RSTART, RLENGTH)
        } else
            nums[++n] = substr(f, RSTART, RLENGTH)
        out = out pre "\001"
        f = substr(f, RSTART + RLENGTH)
    }
    nums[0] = n
    return out f
}
function same_num(a, b,    d, m) {
    a += 0; b += 0
    d = a - b; if (d < 0) d = -d
    if (d <= 1e-300) return 1
    m = a < 0 ? -a : a
    if (b < 0 && -b > m) m = -b
    if (b > 0 && b > m) m = b
    return d <= tol * m
}
function same_field(x, y,    sx, sy, nx, ny, i) {
    if (x == y) return 1
    if (tol < 0) return 0
    sx = skeleton(x, nx); sy = skeleton(y, ny)
    if (sx != sy || nx[0] != ny[0]) return 0
    for (i = 1; i <= nx[0]; i++)
        if (!same_num(nx[i], ny[i])) { why = "numbers " nx[i] " and " ny[i] " differ"; return 0 }
    return 1
}
function report(n, msg) {
    printf "    line %d: %s\n", n, msg
    printf "    expected: %s\n", (n in ex) ? ex[n] : "(end of output)"
    printf "    actual:   %s\n", (n in ac) ? ac[n] : "(end of output)"
    exit 1
}
BEGIN { while ((getline line < expected) > 0) ex[++ne] = line }
{ ac[++na] = $0 }
END {
    for (i = 1; i <= ne || i <= na; i++) {
        if (!(i in ex)) report(i, "extra output")
        if (!(i in ac)) report(i, "output ends early")
        if (ex[i] == ac[i]) continue
        if (tol < 0) report(i, "differs")
        nf = split(ex[i], fe, ","); mf = split(ac[i], fa, ",")
        if (nf != mf) report(i, sprintf("%d fields expected, %d found", nf, mf))
        for (j = 1; j <= nf; j++) {
            why = ""
            if (!same_field(fe[j], fa[j]))
                report(i, sprintf("field %d: %s", j, why != "" ? why : "text differs"))
        }
    }
}'

# literal_equal A B: byte-for-byte (bash strings keep everything but NUL; the x keeps
# trailing newlines)
literal_equal() {
    local a b
    a=$(cat "$1"; echo x)
    b=$(cat "$2"; echo x)
    [[ $a == "$b" ]]
}

mapfile -t cases < <(find "$here/cases" -name cmd -type f -printf '%h\n' | LC_ALL=C sort)
passed=0 failed=0 populated=0
for case in "${cases[@]}"; do
    name=${case#"$here/cases/"}
    if [[ $# -gt 0 ]]; then
        selected=0
        for pat in "$@"; do [[ $name == *"$pat"* ]] && selected=1; done
        [[ $selected == 1 ]] || continue
    fi
    work="$scratch/work"
    rm -rf "$work" && mkdir "$work"
    out="$scratch/stdout" err="$scratch/stderr"
    (cd "$work" && CASE="$case" "${timeout_cmd[@]}" bash "$case/cmd") </dev/null >"$out" 2>"$err"
    rc=$?

    problems=()
    if [[ -f $case/should-fail ]]; then
        want=$(tr -d ' \t\r\n' <"$case/should-fail")
        if [[ -z $want ]]; then
            [[ $rc != 0 ]] || problems+=("exit code 0, expected non-zero")
        elif [[ $rc != "$want" ]]; then
            problems+=("exit code $rc, expected $want")
        fi
    elif [[ $rc != 0 ]]; then
        problems+=("exit code $rc, expected 0")
    fi
    [[ $rc == 124 && ${#timeout_cmd[@]} -gt 0 ]] && problems+=("timed out")

    if [[ $populate == 1 ]]; then
        [[ -e $case/expout ]] && cp "$out" "$case/expout"
        [[ -e $case/experr ]] && cp "$err" "$case/experr"
        populated=$((populated + 1))
    else
        if [[ -f $case/expout ]]; then
            tol=1e-12
            [[ -f $case/tol ]] && tol=$(tr -d ' \t\r\n' <"$case/tol")
            if ! diff_text=$(awk -v tol="$tol" -v expected="$case/expout" "$compare_awk" "$out"); then
                problems+=("stdout differs (tol $tol):"$'\n'"$diff_text")
            fi
        fi
        if [[ -f $case/experr ]] && ! literal_equal "$case/experr" "$err"; then
            diff_text=$(awk -v tol=-1 -v expected="$case/experr" "$compare_awk" "$err")
            [[ -n $diff_text ]] || diff_text="    (a trailing newline differs)"
            problems+=("stderr differs:"$'\n'"$diff_text")
        fi
    fi

    if [[ -f $case/check ]]; then
        if ! check_out=$(cd "$work" && CASE="$case" bash -e "$case/check" 2>&1 </dev/null); then
            problems+=("check failed: $(tr '\n' ' ' <"$case/check")${check_out:+$'\n'    $check_out}")
        fi
    fi

    if [[ ${#problems[@]} -eq 0 ]]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL $name"
        echo "  cmd: $(<"$case/cmd")"
        for p in "${problems[@]}"; do echo "  $p"; done
        if [[ -s $err && ! -f $case/experr ]]; then
            echo "  stderr: $(head -c 2000 "$err")"
        fi
    fi
done

[[ $populate == 1 ]] && echo "repopulated $populated cases (review with git diff)"
echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
