// args: first second
// env: GREETING=hi MODE=unikfile
// run-env: MODE=cli EXTRA=x
// The process's start: argv from the Unikfile's cmd, the environment from
// its env: with `run -e` overriding, and the auxiliary vector musl needs.
#include "guest.h"
#include <elf.h>
#include <sys/auxv.h>

extern char **environ;
extern char _start[];

static void print_env(const char *name)
{
    const char *v = getenv(name);
    printf("%s=%s\n", name, v ? v : "(unset)");
}

/* The auxiliary vector sits right after envp's terminating NULL. */
static unsigned long raw_aux(char **envp, unsigned long type, int *found)
{
    char **e = envp;
    while (*e)
        e++;
    for (unsigned long *a = (unsigned long *)(e + 1); a[0] != AT_NULL; a += 2) {
        if (a[0] == type) {
            *found = 1;
            return a[1];
        }
    }
    *found = 0;
    return 0;
}

int main(int argc, char **argv, char **envp)
{
    printf("argc: %d\n", argc);
    const char *slash = strrchr(argv[0], '/');
    printf("argv0 base: %s\n", slash ? slash + 1 : argv[0]);
    for (int i = 1; i < argc; i++)
        printf("argv[%d]: %s\n", i, argv[i]);
    check("argv terminated", argv[argc] == NULL);
    check("envp follows argv", envp == argv + argc + 1);
    check("environ is envp", environ == envp);

    print_env("GREETING");
    print_env("MODE");
    print_env("EXTRA");
    print_env("NOT_SET_ANYWHERE");
    int count = 0;
    for (char **e = envp; *e; e++)
        count += strncmp(*e, "MODE=", 5) == 0;
    check("MODE appears once", count == 1);

    int found;
    check("AT_PAGESZ 4096", raw_aux(envp, AT_PAGESZ, &found) == 4096 && found);
    check("getauxval AT_PAGESZ", getauxval(AT_PAGESZ) == 4096);
    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    check("AT_RANDOM present", rnd != NULL);
    int zero = 1;
    for (int i = 0; rnd && i < 16; i++)
        zero &= rnd[i] == 0;
    check("AT_RANDOM bytes not all zero", rnd && !zero);
    check("AT_ENTRY is _start", getauxval(AT_ENTRY) == (unsigned long)_start);
    /* musl finds its TLS segment through the program headers. */
    const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
    unsigned long phnum = getauxval(AT_PHNUM);
    check("AT_PHDR present", ph != NULL && phnum > 0);
    check("AT_PHENT size", getauxval(AT_PHENT) == sizeof(Elf64_Phdr));
    int loads = 0;
    for (unsigned long i = 0; ph && i < phnum; i++)
        loads += ph[i].p_type == PT_LOAD;
    check("phdrs have PT_LOAD", loads > 0);
    /* Without all four ids musl takes the slow "secure" start-up path. */
    int fu, feu, fg, feg;
    unsigned long uid = raw_aux(envp, AT_UID, &fu), euid = raw_aux(envp, AT_EUID, &feu);
    unsigned long gid = raw_aux(envp, AT_GID, &fg), egid = raw_aux(envp, AT_EGID, &feg);
    check("AT_UID..AT_EGID present", fu && feu && fg && feg);
    check("ids consistent", uid == euid && gid == egid && uid == (unsigned long)getuid());
    check("AT_SECURE 0", getauxval(AT_SECURE) == 0);
    return guest_done();
}
