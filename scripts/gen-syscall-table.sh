#!/bin/sh
# Turns kernel/linux/ARCH.tbl into the C table of system-call names (written
# to stdout), for the kernel's warnings: the names packed into one string,
# found through 16-bit offsets (a pointer per name would cost four times
# more). The handlers' table, syscall_fns, is not here: `unikit build`
# generates it for each image from the calls its program can make
# (host/lib/spec.c), so that the linker drops the handlers nothing refers to.
set -eu
tbl=$1
awk 'BEGIN { n = 0 }
/^#/ || NF < 2 { next }
{ nr[n] = $1; name[n] = $2; n++ }
END {
    print "/* Generated from " FILENAME " by scripts/gen-syscall-table.sh. */"
    print "#include \"syscalls.h\""
    max = 0
    for (i = 0; i < n; i++)
        if (nr[i] + 0 > max) max = nr[i] + 0
    # Offsets start at 1: 0 means "no such system call".
    print "const char syscall_names[] ="
    off = 1
    printf "    \"\\0\"\n"
    for (i = 0; i < n; i++) {
        at[i] = off
        printf "    \"%s\\0\"\n", name[i]
        off += length(name[i]) + 1
    }
    print "    ;"
    print "const uint16_t syscall_name_at[] = {"
    for (i = 0; i < n; i++)
        printf "    [%d] = %d,\n", nr[i], at[i]
    print "};"
    printf "const size_t syscall_table_size = %d;\n", max + 1
}' "$tbl"
