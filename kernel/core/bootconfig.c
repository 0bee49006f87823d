/*
 * The boot configuration: the program's argv and environment.
 *
 * The image carries the Unikfile's values in the .unikit.config section:
 * "UNIKIT1\0" then NUL-terminated records "arg=VALUE" and "env=K=V".
 * `unikit run` may override them on the boot command line with
 * space-separated tokens of the same form, values %XX-encoded. Any arg=
 * on the command line replaces all of the image's args; env= tokens add
 * to the image's environment, replacing a variable of the same name.
 * "cwd=DIR" and "hostname=NAME" set the program's working directory and
 * the machine's name (an OCI runtime passes its bundle's).
 */
#include "lib.h"
#include "mm.h"
#include "proc.h"

#define CONFIG_MAGIC "UNIKIT1"
#define MAX_STRINGS  1024

extern const char __unikit_config_start[], __unikit_config_end[];

struct string_list {
    char **v;
    size_t n;
};

static void list_add(struct string_list *l, char *s)
{
    if (l->n >= MAX_STRINGS)
        panic("boot config: more than %d arguments or variables", MAX_STRINGS);
    if (!l->v)
        l->v = kzalloc((MAX_STRINGS + 1) * sizeof(char *));
    if (!l->v)
        panic("boot config: out of memory");
    l->v[l->n++] = s;
    l->v[l->n] = NULL;
}

/* Adds or replaces "NAME=..." in the environment. */
static void env_set(struct string_list *env, char *kv)
{
    const char *eq = strchr(kv, '=');
    size_t name_len = eq ? (size_t)(eq - kv) + 1 : strlen(kv);
    for (size_t i = 0; i < env->n; i++) {
        if (strncmp(env->v[i], kv, name_len) == 0) {
            env->v[i] = kv;
            return;
        }
    }
    list_add(env, kv);
}

static void read_image_config(struct string_list *args, struct string_list *env)
{
    const char *p = __unikit_config_start, *end = __unikit_config_end;
    if (end - p < (long)sizeof(CONFIG_MAGIC) || strcmp(p, CONFIG_MAGIC) != 0)
        return;
    for (p += sizeof(CONFIG_MAGIC); p < end; p += strnlen(p, end - p) + 1) {
        if (strnlen(p, end - p) == (size_t)(end - p))
            panic("boot config: unterminated record");
        if (strncmp(p, "arg=", 4) == 0)
            list_add(args, (char *)p + 4);
        else if (strncmp(p, "env=", 4) == 0)
            env_set(env, (char *)p + 4);
    }
}

/* Copies a %XX-encoded token of len bytes into a new string. */
static char *decode(const char *s, size_t len)
{
    char *out = kmalloc(len + 1), *o = out;
    if (!out)
        panic("boot config: out of memory");
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < len && (hi = hex_digit(s[i + 1])) >= 0 &&
            (lo = hex_digit(s[i + 2])) >= 0) {
            *o++ = (char)(hi << 4 | lo);
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

static void read_cmdline(const char *cmdline, struct string_list *args, struct string_list *env,
                         struct boot_config *cfg)
{
    struct string_list cmd_args = {0};
    for (const char *p = cmdline; *p;) {
        while (*p == ' ')
            p++;
        const char *tok = p;
        while (*p && *p != ' ')
            p++;
        size_t len = (size_t)(p - tok);
        if (len > 4 && strncmp(tok, "arg=", 4) == 0)
            list_add(&cmd_args, decode(tok + 4, len - 4));
        else if (len > 4 && strncmp(tok, "env=", 4) == 0)
            env_set(env, decode(tok + 4, len - 4));
        else if (len > 4 && strncmp(tok, "cwd=", 4) == 0)
            cfg->cwd = decode(tok + 4, len - 4);
        else if (len > 9 && strncmp(tok, "hostname=", 9) == 0)
            cfg->hostname = decode(tok + 9, len - 9);
    }
    if (cmd_args.n)
        *args = cmd_args;
}

void boot_config_load(struct boot_config *cfg, const char *cmdline)
{
    struct string_list args = {0}, env = {0};
    *cfg = (struct boot_config){0};
    read_image_config(&args, &env);
    read_cmdline(cmdline, &args, &env, cfg);
    if (args.n == 0)
        panic("boot config: no program to run (the image has no cmd)");
    if (!env.v)
        env.v = kzalloc(sizeof(char *)); /* an empty environment */
    if (!env.v)
        panic("boot config: out of memory");
    cfg->argv = args.v;
    cfg->argc = args.n;
    cfg->envp = env.v;
    cfg->envc = env.n;
}
