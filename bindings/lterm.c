/* aelab.term: pictures in the terminal, by chafa (Debian's libchafa-dev),
 * a library made for that: Unicode symbols in colour on any terminal, sixels
 * or kitty's graphics protocol where the terminal has them (chafa's own
 * terminal database, from TERM, TERM_PROGRAM, KITTY_WINDOW_ID, ... in the
 * environment). The figures come from gnuplot as PNG files, read by
 * core/image.c. Only this file knows chafa; core/ knows no terminal.
 *
 *   render(path, how, cols [, rows]) → text, cols, rows | nil, msg
 *       how: "auto"     what the terminal can show best (kitty, sixels,
 *                       else symbols in its richest colours)
 *            "symbols"  symbols in 256 colours, whatever the terminal
 *            "plain"    symbols without colour sequences: a pipe, a log
 *                       file, NO_COLOR
 *            "sixels", "kitty"  those protocols, whatever the terminal
 *       The picture fits in cols × rows cells (rows absent: cols alone),
 *       keeping its aspect for cells twice as tall as wide. Returns the
 *       escape sequences and text to write as they are, and the cells used.
 *       A file that cannot be read: nil and why.
 *   graphics() → "kitty" | "sixels" | "symbols"   what "auto" would draw with
 *   size([fd]) → cols, rows | nil   the terminal's size (TIOCGWINSZ) */
#include "glue.h"

#include <chafa.h>
#include <limits.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "image.h"

#define TERM_MT "aelab.term.work"

/* What a render holds while it runs, in a userdata made before any of it:
 * a memory error raised while the result is pushed frees it all (__gc). */
typedef struct {
  ae_tensor_t *img;
  guint8 *rgb;
  ChafaTermInfo *info;
  ChafaSymbolMap *symbols;
  ChafaCanvasConfig *config;
  ChafaCanvas *canvas;
  GString *out;
} work_t;

static int work_gc(lua_State *L) {
  work_t *w = luaL_checkudata(L, 1, TERM_MT);
  if (w->out) g_string_free(w->out, TRUE);
  if (w->canvas) chafa_canvas_unref(w->canvas);
  if (w->config) chafa_canvas_config_unref(w->config);
  if (w->symbols) chafa_symbol_map_unref(w->symbols);
  if (w->info) chafa_term_info_unref(w->info);
  g_free(w->rgb);
  ae_tensor_free(w->img);
  memset(w, 0, sizeof *w);
  return 0;
}

/* The terminal's description from this process's environment (a new reference). */
static ChafaTermInfo *detect(void) {
  gchar **env = g_get_environ();
  ChafaTermInfo *info = chafa_term_db_detect(chafa_term_db_get_default(), env);
  g_strfreev(env);
  return info;
}

static ChafaPixelMode best_pixels(ChafaTermInfo *info) {
  if (chafa_term_info_have_seq(info, CHAFA_TERM_SEQ_BEGIN_KITTY_IMMEDIATE_IMAGE_V1)) return CHAFA_PIXEL_MODE_KITTY;
  if (chafa_term_info_have_seq(info, CHAFA_TERM_SEQ_BEGIN_SIXELS)) return CHAFA_PIXEL_MODE_SIXELS;
  return CHAFA_PIXEL_MODE_SYMBOLS;
}

/* The richest colours the terminal's sequences allow (as the chafa tool picks). */
static ChafaCanvasMode best_colours(ChafaTermInfo *info) {
  if (chafa_term_info_have_seq(info, CHAFA_TERM_SEQ_SET_COLOR_FGBG_DIRECT)) return CHAFA_CANVAS_MODE_TRUECOLOR;
  if (chafa_term_info_have_seq(info, CHAFA_TERM_SEQ_SET_COLOR_FGBG_256)) return CHAFA_CANVAS_MODE_INDEXED_240;
  if (chafa_term_info_have_seq(info, CHAFA_TERM_SEQ_SET_COLOR_FGBG_16)) return CHAFA_CANVAS_MODE_INDEXED_16;
  return CHAFA_CANVAS_MODE_FGBG;
}

static int l_render(lua_State *L) {
  static const char *const hows[] = {"auto", "symbols", "plain", "sixels", "kitty", NULL};
  const char *path = luaL_checkstring(L, 1);
  int how = luaL_checkoption(L, 2, NULL, hows);
  lua_Integer cols = luaL_checkinteger(L, 3), rows = luaL_optinteger(L, 4, -1);
  luaL_argcheck(L, cols >= 1 && cols <= 10000, 3, "cols is 1..10000");
  luaL_argcheck(L, rows == -1 || (rows >= 1 && rows <= 10000), 4, "rows is 1..10000 (or absent: no limit)");
  work_t *w = lua_newuserdatauv(L, sizeof *w, 0);
  memset(w, 0, sizeof *w);
  luaL_setmetatable(L, TERM_MT);

  ae_error_t e;
  if (!(w->img = ae_image_read(path, 3, &e))) {
    luaL_pushfail(L);
    lua_pushstring(L, e.msg);
    return 2;
  }
  int H = w->img->shape[2], W = w->img->shape[3];
  const float *src = ae_tensor_data(w->img);
  size_t plane = (size_t)H * W;
  /* RGBA, 4 bytes a pixel: chafa 1.12 sheared RGB8 rows whose length in
   * bytes was not a multiple of 4 (a 203-pixel-wide picture drew slanted) */
  if (!(w->rgb = g_try_malloc(plane * 4))) return luaL_error(L, "not enough memory for a %dx%d picture", W, H);
  for (size_t i = 0; i < plane; i++) {
    for (int c = 0; c < 3; c++) {
      float v = src[c * plane + i];
      w->rgb[i * 4 + c] = (guint8)(v <= 0 ? 0 : v >= 1 ? 255 : v * 255.0f + 0.5f);
    }
    w->rgb[i * 4 + 3] = 255;
  }

  w->info = detect();
  ChafaPixelMode pixels = CHAFA_PIXEL_MODE_SYMBOLS;
  ChafaCanvasMode colours = CHAFA_CANVAS_MODE_INDEXED_240;
  if (how == 0) pixels = best_pixels(w->info), colours = best_colours(w->info);
  else if (how == 2) colours = CHAFA_CANVAS_MODE_FGBG;
  else if (how == 3) pixels = CHAFA_PIXEL_MODE_SIXELS, colours = CHAFA_CANVAS_MODE_TRUECOLOR;
  else if (how == 4) pixels = CHAFA_PIXEL_MODE_KITTY, colours = CHAFA_CANVAS_MODE_TRUECOLOR;
  if (how != 0) { /* the sequences of the mode asked for, whatever the terminal said */
    ChafaTermInfo *fallback = chafa_term_db_get_fallback_info(chafa_term_db_get_default());
    chafa_term_info_supplement(w->info, fallback);
    chafa_term_info_unref(fallback);
  }

  gint cw = (gint)cols, ch = (gint)rows;
  chafa_calc_canvas_geometry(W, H, &cw, &ch, 0.5f, TRUE, FALSE);
  if (cw < 1) cw = 1;
  if (ch < 1) ch = 1;
  w->config = chafa_canvas_config_new();
  chafa_canvas_config_set_geometry(w->config, cw, ch);
  chafa_canvas_config_set_pixel_mode(w->config, pixels);
  chafa_canvas_config_set_canvas_mode(w->config, colours);
  /* block elements (halves, quadrants, eighths) and the space: one cell
   * each on every terminal (no wide or ambiguous-width symbols to break the
   * width in cells); chafa's border and diagonal symbols drew thin slanted
   * lines over the digits' texture */
  w->symbols = chafa_symbol_map_new();
  chafa_symbol_map_add_by_tags(w->symbols, CHAFA_SYMBOL_TAG_BLOCK | CHAFA_SYMBOL_TAG_SPACE);
  chafa_symbol_map_remove_by_tags(w->symbols, CHAFA_SYMBOL_TAG_WIDE | CHAFA_SYMBOL_TAG_AMBIGUOUS);
  chafa_canvas_config_set_symbol_map(w->config, w->symbols);
  if (colours == CHAFA_CANVAS_MODE_FGBG) { /* figures are drawn on white paper: the paper stays blank */
    chafa_canvas_config_set_fg_color(w->config, 0x000000);
    chafa_canvas_config_set_bg_color(w->config, 0xffffff);
  }
  w->canvas = chafa_canvas_new(w->config);
  chafa_canvas_draw_all_pixels(w->canvas, CHAFA_PIXEL_RGBA8_UNASSOCIATED, w->rgb, W, H, W * 4);
  w->out = chafa_canvas_print(w->canvas, w->info);

  lua_pushlstring(L, w->out->str, w->out->len);
  lua_pushinteger(L, cw);
  lua_pushinteger(L, ch);
  lua_pushcfunction(L, work_gc); /* free now, not at the next collection */
  lua_pushvalue(L, -5);
  lua_call(L, 1, 0);
  return 3;
}

static int l_graphics(lua_State *L) {
  ChafaTermInfo *info = detect();
  ChafaPixelMode m = best_pixels(info);
  chafa_term_info_unref(info);
  lua_pushstring(L, m == CHAFA_PIXEL_MODE_KITTY ? "kitty" : m == CHAFA_PIXEL_MODE_SIXELS ? "sixels" : "symbols");
  return 1;
}

static int l_size(lua_State *L) {
  struct winsize ws;
  int fd = (int)luaL_optinteger(L, 1, 1);
  if (ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0 || ws.ws_row == 0) {
    luaL_pushfail(L);
    return 1;
  }
  lua_pushinteger(L, ws.ws_col);
  lua_pushinteger(L, ws.ws_row);
  return 2;
}

static const luaL_Reg functions[] = {
    {"render", l_render}, {"graphics", l_graphics}, {"size", l_size}, {NULL, NULL},
};

int luaopen_aelab_term(lua_State *L) {
  if (luaL_newmetatable(L, TERM_MT)) {
    lua_pushcfunction(L, work_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  luaL_newlib(L, functions);
  return 1;
}
