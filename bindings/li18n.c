/* aelab.i18ncore: glibc's gettext for the Lua side (aelab/i18n.lua chooses
 * the language and formats numbers). Messages come from the "aelab" domain,
 * compiled by the Makefile into <build>/locale/<lang>/LC_MESSAGES/aelab.mo.
 *
 * glibc ignores LANGUAGE while LC_MESSAGES is "C" or "POSIX" (it returns
 * every msgid untranslated), and a locale such as es_ES.UTF-8 is often not
 * installed. So only LC_MESSAGES is set, to C.UTF-8 (built into glibc
 * since 2.35: always there on Debian 12), and the language is chosen by
 * LANGUAGE alone. LC_NUMERIC stays "C": string.format and every file
 * aelab writes keep the decimal point; reports get their decimal comma from
 * aelab/i18n.lua, never from the C locale. */
#include <lauxlib.h>
#include <libintl.h>
#include <locale.h>
#include <stdlib.h>

#include "glue.h"

#define DOMAIN AE_TEXTDOMAIN /* core/ae.h: the core's shape errors use it too */

/* glibc's catalogue counter: bumping it makes gettext look the language up
 * again after LANGUAGE changes (the gettext manual's documented way). */
extern int _nl_msg_cat_cntr;

/* setup(localedir) → true, or nil and why */
static int l_setup(lua_State *L) {
  const char *dir = luaL_checkstring(L, 1);
  if (!setlocale(LC_MESSAGES, "C.UTF-8") && !setlocale(LC_MESSAGES, "C.utf8")) {
    luaL_pushfail(L);
    lua_pushliteral(L, "the C.UTF-8 locale is missing (messages stay in English)");
    return 2;
  }
  if (!bindtextdomain(DOMAIN, dir) || !bind_textdomain_codeset(DOMAIN, "UTF-8")) {
    luaL_pushfail(L);
    lua_pushliteral(L, "bindtextdomain failed (out of memory)");
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* use(lang): the language gettext answers in from now on ("en": msgids) */
static int l_use(lua_State *L) {
  const char *lang = luaL_checkstring(L, 1);
  if (setenv("LANGUAGE", lang, 1)) return luaL_error(L, "i18n: cannot set LANGUAGE (out of memory)");
  ++_nl_msg_cat_cntr;
  return 0;
}

static int l_gettext(lua_State *L) {
  lua_pushstring(L, dgettext(DOMAIN, luaL_checkstring(L, 1)));
  return 1;
}

/* ngettext(singular, plural, n): the form the language's Plural-Forms picks */
static int l_ngettext(lua_State *L) {
  const char *s = luaL_checkstring(L, 1), *p = luaL_checkstring(L, 2);
  lua_Integer n = luaL_checkinteger(L, 3);
  unsigned long un = n < 0 ? (unsigned long)-n : (unsigned long)n;
  lua_pushstring(L, dngettext(DOMAIN, s, p, un));
  return 1;
}

int luaopen_aelab_i18ncore(lua_State *L) {
  static const luaL_Reg fns[] = {
      {"setup", l_setup}, {"use", l_use}, {"gettext", l_gettext}, {"ngettext", l_ngettext}, {NULL, NULL}};
  luaL_newlib(L, fns);
  return 1;
}
