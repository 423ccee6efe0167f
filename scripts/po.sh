#!/usr/bin/env bash
# aelab's message catalogues (GNU gettext). README "Languages" says how they fit.
#   scripts/po.sh compile LL OUT.mo   check po/LL.po and po/lessons/*.LL.po (any
#                                     msgfmt warning fails), join them, compile
#   scripts/po.sh pot                 refresh po/aelab.pot and po/lessons/*.pot
#                                     from the sources, msgmerge every .po
#   scripts/po.sh pot 05_denoising    only that lesson's template and fragments
#                                     (po/lessons/05_denoising.<ll>.po, made
#                                     with msginit when missing)
#   scripts/po.sh extract FILE        the template of one source file (.lua, or
#                                     core/*.c), to stdout (what the tests
#                                     compare the catalogues with)
set -euo pipefail
cd "$(dirname "$0")/.."

# The Lua functions that mark messages (bindings/aelab/i18n.lua):
# T(msg), F(fmt, ...), EF(fmt, ...), TN(singular, plural, n), FN(singular, plural, n, ...),
# N_(msg) (marks only) and P(context, msg).
KEYWORDS=(--keyword=T --keyword=F --keyword=EF --keyword=TN:1,2 --keyword=FN:1,2 --keyword=N_ --keyword=P:1c,2)
XGETTEXT=(xgettext --language=Lua --from-code=UTF-8 --add-comments=TRANSLATORS: --package-name=aelab --add-location=file
  --msgid-bugs-address=aelab-issues "${KEYWORDS[@]}")

# The C core's messages: the shape errors, ae_fail_shape(e, fmt, ...) (core/ae.h;
# ae_fail translates fmt in the "aelab" domain). No default keywords: the core
# calls no gettext of its own.
XGETTEXT_C=(xgettext --language=C --from-code=UTF-8 --add-comments=TRANSLATORS: --package-name=aelab --add-location=file
  --msgid-bugs-address=aelab-issues --keyword= --keyword=ae_fail_shape:2 --flag=ae_fail_shape:2:c-format)

# The framework: everything a lesson shares (not the lessons themselves),
# and the core's messages (po/aelab.pot holds both, the C ones after the Lua).
framework() { ls bindings/aelab.lua bindings/aelab/*.lua plots/*.lua; }
core_sources() { ls core/*.c; }

check() { # msgfmt --check, warnings included, fail the build
  local log
  log=$(msgfmt --check -o /dev/null "$1" 2>&1) || { echo "$log" >&2; echo "po.sh: $1 is not a valid catalogue" >&2; exit 1; }
  if [ -n "$log" ]; then echo "$log" >&2; echo "po.sh: msgfmt warns about $1 (fix it: warnings fail the build)" >&2; exit 1; fi
}

case "${1:-}" in
compile)
  ll=$2 out=$3
  sources=(po/"$ll".po)
  for f in po/lessons/*."$ll".po; do [ -e "$f" ] && sources+=("$f"); done
  for f in "${sources[@]}"; do check "$f"; done
  mkdir -p "$(dirname "$out")"
  # framework first: its header (plural forms) and, for a message two files
  # share, its translation (tests/test_i18n.lua fails on disagreeing ones)
  merged="$(dirname "$out")/aelab.po" # the catalogue as compiled, for tests/test_i18n.lua
  msgcat --use-first -o "$merged" "${sources[@]}"
  check "$merged"
  msgfmt --check -o "$out.tmp" "$merged"
  mv "$out.tmp" "$out"
  echo "msgfmt: $out ($(msgfmt --statistics -o /dev/null "$merged" 2>&1))"
  ;;
pot)
  # No dates and no line numbers in the files, so two people refreshing them
  # on different days or after unrelated edits get the same bytes.
  shift
  undate() { sed -i '/^"POT-Creation-Date: /d' "$@"; }
  if [ $# -eq 0 ]; then # everything: the framework and every lesson
    mapfile -t files < <(framework)
    mapfile -t cfiles < <(core_sources)
    "${XGETTEXT[@]}" -o po/aelab.pot "${files[@]}"
    "${XGETTEXT_C[@]}" --join-existing -o po/aelab.pot "${cfiles[@]}" # the same header; a message both say, once
    undate po/aelab.pot
    set -- $(cd lessons && ls *.lua | sed 's/\.lua$//')
    for ll in $(sed 's/#.*//' po/LINGUAS); do
      [ -e po/"$ll".po ] || continue
      msgmerge --quiet --update --backup=none --add-location=file po/"$ll".po po/aelab.pot
      undate po/"$ll".po
    done
  fi
  for n in "$@"; do # the lessons named (05_denoising ...), each in its own files
    n=$(basename "$n" .lua)
    [ -e lessons/"$n".lua ] || { echo "po.sh: no lessons/$n.lua" >&2; exit 2; }
    rm -f po/lessons/"$n".pot
    "${XGETTEXT[@]}" -o po/lessons/"$n".pot lessons/"$n".lua # written only when the lesson has messages
    [ -e po/lessons/"$n".pot ] || continue
    undate po/lessons/"$n".pot
    for ll in $(sed 's/#.*//' po/LINGUAS); do
      f=po/lessons/"$n"."$ll".po
      if [ ! -e "$f" ]; then # a lesson converted now: its fragment, empty, with the language's plural rule
        msginit --no-translator --locale="$ll".UTF-8 -i po/lessons/"$n".pot -o "$f" 2>/dev/null
        sed -i -e 's/Automatically generated/aelab contributors/' \
          -e "s/YEAR-MO-DA HO:MI+ZONE/$(date -u '+%Y-%m-%d %H:%M+0000')/" "$f"
        echo "po.sh: new $f: translate it"
      else
        msgmerge --quiet --update --backup=none --add-location=file "$f" po/lessons/"$n".pot
      fi
      undate "$f"
    done
  done
  echo "po.sh: templates refreshed; translate the empty and fuzzy entries (msgattrib --untranslated --only-fuzzy FILE lists them)"
  ;;
extract)
  case "$2" in
  *.c) "${XGETTEXT_C[@]}" --force-po -o - "$2" ;;
  *) "${XGETTEXT[@]}" --force-po -o - "$2" ;;
  esac
  ;;
*) sed -n '2,8p' "$0" >&2; exit 2 ;;
esac
