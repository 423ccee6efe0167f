/* The aelab host: a loader in the manner of Lua's lua.c. It chooses BLIS'
 * kernels and the thread count, creates the Lua state, preloads the C
 * modules, points package.path at the Lua half of aelab, then runs a script,
 * a -e chunk or the REPL. Lua owns the experiment. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <lualib.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blas.h"
#include "glue.h"

#define AELAB_VERSION "0.1.0"

static const char *usage =
    "usage: aelab [options] [script.lua [args...]]\n"
    "       aelab [options] lessons/NN_name.lua [options] [args...]\n"
    "\n"
    "       aelab sweep [run|status|collect|report] grid.lua [--slurm] [--dry-run] [--parallel N]\n"
    "\n"
    "  script.lua     run a Lua script (its arguments are in `arg`, as with lua)\n"
    "  sweep ...      runs of a script over a grid of settings (`aelab sweep --help`);\n"
    "                 `--sweep ...` is the same, also beside a file named sweep\n"
    "  -e 'code'      run a chunk of Lua (`ae` is aelab, as in the REPL)\n"
    "  (nothing)      an interactive REPL: `ae` is aelab, expressions print their value\n"
    "\n"
    "options:\n"
    "  --threads N    threads for aelab's own loops (default: all cores)\n"
    "  --seed N       seed of the random generator (default 42)\n"
    "  --quick        ask lessons for a small, fast run (used by the tests)\n"
    "  --out DIR      where lessons write their folders (default: out)\n"
    "  --show         lessons also draw each figure in the terminal as it is written\n"
    "                 (chafa: sixels or kitty graphics where the terminal has them)\n"
    "  --run DIR      this is one run of a sweep: the lesson writes into DIR itself,\n"
    "                 settings from DIR/settings.json (aelab sweep passes it)\n"
    "  --blis NAME    BLIS kernel set: auto (default), skx, haswell, zen3, generic\n"
    "  --lang LL      language of lessons, reports and figures: en, es, pt (default:\n"
    "                 AELAB_LANG, else the locale: LANGUAGE, LC_ALL, LC_MESSAGES, LANG)\n"
    "  --version      versions, BLIS kernels and threads in use\n"
    "  --help         this text\n"
    "  --             ends aelab's options: what follows is the script and its arguments\n"
    "\n"
    "After a script, arguments are the script's own (`arg`), except for a lesson\n"
    "(a script in a folder named lessons): there aelab's options are recognized\n"
    "anywhere, `./aelab lessons/01_undercomplete.lua --quick` is --quick, and an\n"
    "unknown option is an error; after `--` everything goes to the lesson.\n"
    "\n"
    "environment: BLIS_ARCH_TYPE (numeric BLIS arch id) overrides the automatic kernel\n"
    "choice; BLIS_NUM_THREADS gives BLIS' GEMMs their own threads (default 1).\n";

/* Folder holding the binary: the Lua half of aelab sits beside it. */
static void exe_dir(char *buf, size_t n) {
  const char *home = getenv("AELAB_HOME");
  if (home && *home) {
    snprintf(buf, n, "%s", home);
    return;
  }
  ssize_t len = readlink("/proc/self/exe", buf, n - 1);
  if (len <= 0) {
    snprintf(buf, n, ".");
    return;
  }
  buf[len] = '\0';
  char *slash = strrchr(buf, '/');
  if (slash) *slash = '\0';
}

static int msghandler(lua_State *L) {
  if (ae_lua_is_interrupt(L, 1)) return 1; /* kept as it is, for the host to recognize */
  const char *msg = lua_tostring(L, 1);
  if (!msg) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* Calls the function below its nargs arguments with a traceback handler. */
static int docall(lua_State *L, int nargs, int nres) {
  int base = lua_gettop(L) - nargs;
  lua_pushcfunction(L, msghandler);
  lua_insert(L, base);
  int status = lua_pcall(L, nargs, nres, base);
  lua_remove(L, base);
  return status;
}

static int report(lua_State *L, int status) {
  if (status != LUA_OK) {
    fprintf(stderr, "aelab: %s\n", ae_lua_is_interrupt(L, -1) ? "interrupted" : lua_tostring(L, -1));
    fflush(stderr);
    lua_pop(L, 1);
  }
  return status;
}

typedef struct {
  int threads, quick, show, seed_set;
  long seed;
  const char *out, *blis, *chunk, *run, *lang;
  int script; /* index in argv of the script, 0 if none */
  int version, help;
  int sweep_tool; /* --sweep: argv[script] is that option, the sweep tool's arguments follow */
  /* BLIS_ARCH_TYPE, BLIS_NUM_THREADS as the user set them (NULL: not set),
   * read before ae_blas_setup sets them for this process */
  const char *user_arch, *user_blis_threads;
} options_t;

/* A lesson is a script in a folder named lessons (lessons/01_x.lua,
 * ../aelab/lessons/01_x.lua): aelab's own options are recognized after it. */
static int is_lesson(const char *path) {
  /* the real path: `cd lessons && ../aelab 01_x.lua --quick` is a lesson too */
  char *real = realpath(path, NULL);
  const char *p = real ? real : path;
  const char *slash = strrchr(p, '/');
  int yes = 0;
  if (slash) {
    const char *start = slash;
    while (start > p && start[-1] != '/') start--;
    yes = slash - start == 7 && strncmp(start, "lessons", 7) == 0;
  }
  free(real);
  return yes;
}

/* Moves argv[from] to argv[to] (to < from), shifting the ones between up. */
static void move_arg(char **argv, int from, int to) {
  char *a = argv[from];
  memmove(argv + to + 1, argv + to, sizeof(char *) * (size_t)(from - to));
  argv[to] = a;
}

/* Parses aelab's options. The first non-option is the script; after a
 * lesson, options are still parsed and moved before the script (so `arg`
 * holds the lesson's own arguments only, and arg[-k] the options, as lua.c
 * puts them) until `--`; after any other script nothing is parsed. */
static int parse(int argc, char **argv, options_t *o) {
  int lesson = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (o->script && !lesson) return 0;
    if (a[0] != '-' || strcmp(a, "-") == 0) {
      if (!o->script) {
        o->script = i;
        lesson = is_lesson(a);
      }
      continue; /* a lesson's own argument */
    }
    if (strcmp(a, "--sweep") == 0 && !o->script) { /* the tool, whatever files the folder holds */
      o->script = i;
      o->sweep_tool = 1;
      return 0;
    }
    if (strcmp(a, "--") == 0) {
      if (o->script) { /* the rest is the lesson's: drop the `--` itself */
        move_arg(argv, i, o->script++);
        return 0;
      }
      if (i + 1 < argc) o->script = i + 1;
      return 0;
    }
    const char *val = NULL;
    int takes_value = strcmp(a, "--threads") == 0 || strcmp(a, "--seed") == 0 || strcmp(a, "--out") == 0 ||
                      strcmp(a, "--run") == 0 || strcmp(a, "--blis") == 0 || strcmp(a, "--lang") == 0 || strcmp(a, "-e") == 0;
    if (takes_value) {
      if (i + 1 >= argc) {
        fprintf(stderr, "aelab: %s needs a value\n%s", a, usage);
        return -1;
      }
      val = argv[++i];
    }
    if (o->script && strcmp(a, "-e") == 0) {
      fprintf(stderr, "aelab: -e cannot follow a script\n");
      return -1;
    }
    if (o->script) { /* after a lesson: the option (and its value) moves before it */
      move_arg(argv, i - takes_value, o->script++);
      if (takes_value) move_arg(argv, i, o->script++);
    }
    if (strcmp(a, "--threads") == 0) {
      char *end;
      long n = strtol(val, &end, 10);
      if (*end || n < 1 || n > 256) {
        fprintf(stderr, "aelab: --threads wants a number from 1 to 256, got '%s'\n", val);
        return -1;
      }
      o->threads = (int)n;
    } else if (strcmp(a, "--seed") == 0) {
      char *end;
      o->seed = strtol(val, &end, 10);
      if (*end) {
        fprintf(stderr, "aelab: --seed wants an integer, got '%s'\n", val);
        return -1;
      }
      o->seed_set = 1;
    } else if (strcmp(a, "--out") == 0) o->out = val;
    else if (strcmp(a, "--run") == 0) o->run = val;
    else if (strcmp(a, "--blis") == 0) o->blis = val;
    else if (strcmp(a, "--lang") == 0) o->lang = val;
    else if (strcmp(a, "-e") == 0) o->chunk = val;
    else if (strcmp(a, "--quick") == 0) o->quick = 1;
    else if (strcmp(a, "--show") == 0) o->show = 1;
    else if (strcmp(a, "--version") == 0 || strcmp(a, "-v") == 0) o->version = 1;
    else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) o->help = 1;
    else {
      fprintf(stderr, "aelab: unknown option '%s'%s\n%s", a,
              o->script ? " after the lesson (put `--` before the lesson's own options)" : "", usage);
      return -1;
    }
  }
  return 0;
}

static void preload(lua_State *L, const char *name, lua_CFunction f) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, f);
  lua_setfield(L, -2, name);
  lua_pop(L, 1);
}

static void setup_state(lua_State *L, const options_t *o, int argc, char **argv) {
  luaL_openlibs(L);
  preload(L, "aelab.tensor", luaopen_aelab_tensor);
  preload(L, "aelab.layer", luaopen_aelab_layer);
  preload(L, "aelab.model", luaopen_aelab_model);
  preload(L, "aelab.optim", luaopen_aelab_optim);
  preload(L, "aelab.data", luaopen_aelab_data);
  preload(L, "aelab.sys", luaopen_aelab_sys);
  preload(L, "aelab.pca", luaopen_aelab_pca);
  preload(L, "aelab.modelfile", luaopen_aelab_modelfile);
  preload(L, "aelab.signal", luaopen_aelab_signal);
  preload(L, "aelab.mpi", luaopen_aelab_mpi);
  preload(L, "aelab.audiocore", luaopen_aelab_audio);
  preload(L, "aelab.image", luaopen_aelab_image);
  preload(L, "aelab.i18ncore", luaopen_aelab_i18ncore);
  preload(L, "aelab.term", luaopen_aelab_term);
  ae_lua_signal_setup(L);
  /* package.path: aelab's own Lua first, then the usual places */
  char dir[PATH_MAX];
  exe_dir(dir, sizeof dir);
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "path");
  lua_pushfstring(L, "%s/bindings/?.lua;%s/?.lua;%s/?/init.lua;%s", dir, dir, dir, lua_tostring(L, -1));
  lua_setfield(L, -3, "path");
  lua_pop(L, 1);
  lua_pop(L, 1);
  /* what the host was told, for the Lua side (lessons read quick and out) */
  lua_createtable(L, 0, 8);
  lua_pushboolean(L, o->quick);
  lua_setfield(L, -2, "quick");
  lua_pushboolean(L, o->show);
  lua_setfield(L, -2, "show");
  lua_pushstring(L, o->out ? o->out : "out");
  lua_setfield(L, -2, "out");
  lua_pushinteger(L, o->seed);
  lua_setfield(L, -2, "seed");
  lua_pushinteger(L, ae_threads());
  lua_setfield(L, -2, "threads");
  lua_pushstring(L, dir);
  lua_setfield(L, -2, "home");
  /* the compiled catalogues (the Makefile's $(BUILD)/locale) */
  lua_pushfstring(L, "%s/%s/locale", dir, AE_BUILD_DIR);
  lua_setfield(L, -2, "localedir");
  if (o->lang) {
    lua_pushstring(L, o->lang);
    lua_setfield(L, -2, "lang");
  }
  char exe[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len > 0) { /* this binary, for the processes a sweep starts */
    exe[len] = '\0';
    lua_pushstring(L, exe);
    lua_setfield(L, -2, "exe");
  }
  if (o->run) {
    lua_pushstring(L, o->run);
    lua_setfield(L, -2, "run");
  }
  lua_pushstring(L, AELAB_VERSION);
  lua_setfield(L, -2, "version");
  /* The BLIS variables the user set (user_env) and those this host set for
   * itself (host_env): a child (a sweep's run, a Slurm task on another node)
   * must not take the second kind for a choice of the user's. */
  lua_newtable(L);
  lua_newtable(L);
  const char *names[] = {"BLIS_ARCH_TYPE", "BLIS_NUM_THREADS"};
  const char *given[] = {o->user_arch, o->user_blis_threads};
  for (int i = 0; i < 2; i++) {
    if (given[i]) {
      lua_pushstring(L, given[i]);
      lua_setfield(L, -3, names[i]);
    } else if (getenv(names[i])) {
      lua_pushstring(L, names[i]);
      lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    }
  }
  lua_setfield(L, -3, "host_env");
  lua_setfield(L, -2, "user_env");
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "aelab.options");
  lua_pop(L, 2);
  /* arg, as lua.c builds it: the script at 0, its arguments from 1 */
  int s = o->script ? o->script : argc;
  lua_createtable(L, argc - s, s + 1);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_seti(L, -2, i - s);
  }
  lua_setglobal(L, "arg");
}

static void print_version(void) {
  printf("aelab %s (%s, BLIS %s)\n", AELAB_VERSION, LUA_RELEASE, ae_blas_version());
  printf("BLIS kernels: %s (%s)\n", ae_blas_arch(), ae_blas_reason());
  const char *bt = getenv("BLIS_NUM_THREADS");
  printf("threads: %d (element-wise loops), GEMMs split over %d, %s BLIS thread%s per GEMM call\n", ae_threads(),
         ae_gemm_threads(), bt ? bt : "1", bt && strcmp(bt, "1") ? "s" : "");
}

/* A script stopped by Ctrl-C (the interrupt on top of the stack): the
 * lesson it runs, if any, writes what it has (aelab/lesson.lua's
 * on_interrupt returns its folder), then the message. Exit code 130, as a
 * shell gives a process killed by SIGINT. */
static int interrupted(lua_State *L) {
  lua_pop(L, 1);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  int lesson = lua_getfield(L, -1, "aelab.lesson") == LUA_TTABLE &&
               lua_getfield(L, -1, "on_interrupt") == LUA_TFUNCTION;
  const char *dir = NULL;
  if (lesson && report(L, docall(L, 0, 1)) == LUA_OK) dir = lua_tostring(L, -1);
  if (dir) fprintf(stderr, "aelab: interrupted: results so far in %s\n", dir);
  else fprintf(stderr, "aelab: interrupted\n");
  return 130;
}

/* ---- REPL ---- */

/* readline calls this when a signal interrupts its read. A Ctrl-C at the
 * prompt drops the line being typed and shows a fresh prompt (readline's own
 * signal handling is off: it would pass SIGINT on to the handler that stops
 * Lua code, and the next line would stop as soon as it started). */
static int prompt_signal(void) {
  if (ae_lua_sigint_take()) {
    rl_replace_line("", 0);
    fputs("^C\n", rl_outstream ? rl_outstream : stdout);
    rl_on_new_line();
    rl_redisplay();
  }
  return 0;
}

static int incomplete(lua_State *L, int status) {
  if (status == LUA_ERRSYNTAX) {
    size_t lmsg;
    const char *msg = lua_tolstring(L, -1, &lmsg);
    if (lmsg >= 5 && strcmp(msg + lmsg - 5, "<eof>") == 0) {
      lua_pop(L, 1);
      return 1;
    }
  }
  return 0;
}

/* An expression's values, tables nested and shortened (aelab/pretty.lua);
 * plain print if that module cannot be loaded. */
static void print_results(lua_State *L, int base) {
  int n = lua_gettop(L) - base;
  if (n <= 0) return;
  lua_getglobal(L, "require");
  lua_pushliteral(L, "aelab.pretty");
  if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_getfield(L, -1, "print") == LUA_TFUNCTION) {
    lua_remove(L, -2);
  } else {
    lua_settop(L, base + n);
    lua_getglobal(L, "print");
  }
  lua_insert(L, base + 1);
  if (lua_pcall(L, n, 0, 0) != LUA_OK) report(L, 1);
}

/* Tab completion: names from aelab/complete.lua (globals, fields after a
 * dot, methods after a colon). readline's callback takes no user data, so
 * the REPL's state is kept here while the REPL runs. */
static lua_State *completion_L;

static char *common_prefix(char **m, int n) {
  size_t len = strlen(m[0]);
  for (int i = 1; i < n; i++) {
    size_t k = 0;
    while (k < len && m[i][k] == m[0][k]) k++;
    len = k;
  }
  return strndup(m[0], len);
}

static char **complete_names(const char *text, int start, int end) {
  rl_attempted_completion_over = 1; /* names only, never file names */
  rl_completion_append_character = '\0'; /* `ae.` and `net:` go on without a space (reset at each attempt) */
  lua_State *L = completion_L;
  if (!L) return NULL;
  int top = lua_gettop(L);
  char **matches = NULL;
  lua_getglobal(L, "require");
  lua_pushliteral(L, "aelab.complete");
  if (lua_pcall(L, 1, 1, 0) != LUA_OK || lua_getfield(L, -1, "candidates") != LUA_TFUNCTION) goto done;
  lua_pushstring(L, text);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK || !lua_istable(L, -1)) goto done;
  int n = (int)luaL_len(L, -1);
  if (n <= 0) goto done;
  matches = calloc((size_t)n + 2, sizeof *matches);
  if (!matches) goto done;
  for (int i = 1; i <= n; i++) {
    lua_geti(L, -1, i);
    const char *s = lua_tostring(L, -1);
    matches[i] = strdup(s ? s : "");
    lua_pop(L, 1);
  }
  matches[0] = common_prefix(matches + 1, n); /* what readline puts in the line */
done:
  lua_settop(L, top);
  return matches;
}

static void repl(lua_State *L) {
  char hist[PATH_MAX] = "";
  const char *home = getenv("HOME");
  if (home) snprintf(hist, sizeof hist, "%s/.aelab_history", home);
  using_history();
  /* append_history only appends to a file that exists: make it the first time */
  if (*hist && read_history(hist) == ENOENT) write_history(hist); /* only a missing file: never truncate one */
  rl_catch_signals = 0;
  rl_signal_event_hook = prompt_signal;
  rl_event_hook = prompt_signal; /* also while idle: a ^C that came between two reads */
  completion_L = L;
  rl_attempted_completion_function = complete_names;
  rl_completer_word_break_characters = " \t\n\"'`@$><=;|&{}()[],+-*/%^~#";
  ae_lua_sigint_catch(L);
  /* `ae` ready at the prompt */
  lua_getglobal(L, "require");
  lua_pushliteral(L, "aelab");
  if (report(L, docall(L, 1, 1)) == LUA_OK) lua_setglobal(L, "ae");
  printf("aelab %s — Lua 5.4 REPL. `ae` is aelab; try ae.help(). Ctrl-D quits.\n", AELAB_VERSION);
  for (;;) {
    char *line = readline("ae> ");
    if (!line) break;
    if (ae_lua_sigint_take()) { /* a ^C while the line was typed drops it */
      free(line);
      continue;
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, line);
    luaL_pushresult(&b);
    free(line);
    int base = lua_gettop(L) - 1;
    int status;
    for (;;) {
      /* first as an expression, so `x` prints x */
      const char *code = lua_tostring(L, -1);
      const char *ret = lua_pushfstring(L, "return %s;", code);
      status = luaL_loadbuffer(L, ret, strlen(ret), "=stdin");
      lua_remove(L, -2);
      if (status == LUA_OK) break;
      lua_pop(L, 1);
      status = luaL_loadbuffer(L, code, strlen(code), "=stdin");
      if (!incomplete(L, status)) break;
      char *more = readline(">> ");
      if (!more) break;
      lua_pushfstring(L, "%s\n%s", lua_tostring(L, -1), more);
      lua_remove(L, -2);
      free(more);
    }
    const char *src = lua_tostring(L, base + 1);
    if (src && *src) {
      add_history(src);
      if (*hist) append_history(1, hist);
    }
    lua_remove(L, base + 1); /* the source; the chunk or error stays */
    if (status == LUA_OK) status = docall(L, 0, LUA_MULTRET);
    if (status == LUA_OK) print_results(L, base);
    else report(L, status);
    lua_settop(L, base);
    /* Ready for the next Ctrl-C: a hook that came as the call ended stops
     * nothing else, and the handler is back after the first one's SIG_DFL. */
    lua_sethook(L, NULL, 0, 0);
    ae_lua_sigint_catch(L);
  }
  completion_L = NULL;
  printf("\n");
}

int main(int argc, char **argv) {
  options_t o = {0};
  o.seed = AE_LUA_SEED;
  /* A gnuplot that quits early must not kill us with SIGPIPE: the write
   * fails instead and the plot library reports gnuplot's message. */
  signal(SIGPIPE, SIG_IGN);
  if (parse(argc, argv, &o)) return 2;
  if (o.help) {
    fputs(usage, stdout);
    return 0;
  }
  ae_error_t e;
  o.user_arch = getenv("BLIS_ARCH_TYPE");
  o.user_blis_threads = getenv("BLIS_NUM_THREADS");
  /* copies: setenv may free the strings getenv gave */
  static char user_arch[256], user_blis_threads[256];
  if (o.user_arch) o.user_arch = strncpy(user_arch, o.user_arch, sizeof user_arch - 1);
  if (o.user_blis_threads) o.user_blis_threads = strncpy(user_blis_threads, o.user_blis_threads, sizeof user_blis_threads - 1);
  if (ae_blas_setup(o.blis, &e)) {
    fprintf(stderr, "aelab: %s\n", e.msg);
    return 2;
  }
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  ae_set_threads(o.threads ? o.threads : (int)(cores > 0 ? cores : 1));
  /* GEMMs split over the same threads unless AELAB_GEMM_THREADS says otherwise */
  const char *gt = getenv("AELAB_GEMM_THREADS");
  int gemm_threads = gt ? atoi(gt) : 0;
  ae_set_gemm_threads(gemm_threads > 0 ? gemm_threads : ae_threads());
  if (o.version) {
    print_version();
    return 0;
  }
  lua_State *L = luaL_newstate();
  if (!L) {
    fprintf(stderr, "aelab: cannot create the Lua state (out of memory)\n");
    return 1;
  }
  ae_lua_alloc_t alloc_hook; /* idle unless a test calls aelab.sys.fail_alloc */
  ae_lua_hook_alloc(L, &alloc_hook);
  ae_rng_seed(ae_lua_rng(L), (uint64_t)o.seed); /* made here, first: later calls never allocate */
  setup_state(L, &o, argc, argv);
  if (!o.chunk && !o.script && isatty(0)) {
    repl(L);
    lua_close(L);
    return 0;
  }
  ae_lua_sigint_catch(L);
  int status = LUA_OK;
  if (o.chunk) {
    /* `ae` ready, as at the REPL's prompt */
    lua_getglobal(L, "require");
    lua_pushliteral(L, "aelab");
    status = docall(L, 1, 1);
    if (status == LUA_OK) lua_setglobal(L, "ae");
    if (status == LUA_OK) status = luaL_loadbuffer(L, o.chunk, strlen(o.chunk), "=(command line)");
    if (status == LUA_OK) status = docall(L, 0, 0);
  } else if (o.script) {
    const char *fname = strcmp(argv[o.script], "-") == 0 ? NULL : argv[o.script];
    /* `aelab sweep ...` is the sweep tool (aelab/sweep.lua), unless a
     * regular file of that name is what the user meant (a folder named
     * sweep is no script); `aelab --sweep ...` is the tool in any case */
    struct stat st;
    if (o.sweep_tool || (fname && strcmp(fname, "sweep") == 0 && !(stat(fname, &st) == 0 && S_ISREG(st.st_mode)))) {
      static const char tool[] = "return require('aelab.sweep').main(...)";
      status = luaL_loadbuffer(L, tool, sizeof tool - 1, "=aelab sweep");
    } else
      status = luaL_loadfile(L, fname);
    if (status == LUA_OK) {
      int n = argc - o.script - 1;
      luaL_checkstack(L, n + 3, "too many arguments to script");
      for (int i = 1; i <= n; i++) lua_pushstring(L, argv[o.script + i]);
      status = docall(L, n, 0);
    }
  } else {
    status = luaL_loadfile(L, NULL);
    if (status == LUA_OK) status = docall(L, 0, 0);
  }
  int code = status == LUA_OK ? 0 : 1;
  if (status != LUA_OK && ae_lua_is_interrupt(L, -1)) code = interrupted(L);
  else report(L, status);
  fflush(stdout);
  /* the other ranks would wait for this one for ever */
  if (status != LUA_OK) ae_mpi_abort_if_running(code);
  lua_close(L);
  return code;
}
