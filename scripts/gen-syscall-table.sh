#!/bin/sh
# Turns kernel/linux/ARCH.tbl into the C table of system-call names (written
# to stdout), for the kernel's warnings: the names of numbers 0, 1, 2, ...
# in one string, each ended by a NUL, an empty one where a number has no
# call. The kernel finds a name by counting NULs: warnings are rare, and an
# array of offsets would cost 900 bytes more in every image. The handlers'
# table, syscall_fns, is not here: `unikit build` generates it for each
# image from the calls its program can make (host/lib/spec.c), so that the
# linker drops the handlers nothing refers to.
set -eu
tbl=$1
awk 'BEGIN { max = -1 }
/^#/ || NF < 2 { next }
{ name[$1 + 0] = $2; if ($1 + 0 > max) max = $1 + 0 }
END {
    print "/* Generated from " FILENAME " by scripts/gen-syscall-table.sh. */"
    print "#include \"syscalls.h\""
    print "const char syscall_names[] ="
    for (i = 0; i <= max; i++)
        printf "    \"%s\\0\"\n", (i in name) ? name[i] : ""
    print "    ;"
    printf "const size_t syscall_table_size = %d;\n", max + 1
}' "$tbl"
