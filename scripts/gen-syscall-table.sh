#!/bin/sh
# Turns kernel/linux/ARCH.tbl into the C syscall table (written to stdout):
# syscall_fns[nr], referring to each sys_NAME weakly (unimplemented calls
# stay NULL), and the names for warnings packed into one string, found
# through 16-bit offsets (a pointer per name would cost four times more).
set -eu
tbl=$1
awk 'BEGIN { n = 0 }
/^#/ || NF < 2 { next }
{ nr[n] = $1; name[n] = $2; n++ }
END {
    print "/* Generated from " FILENAME " by scripts/gen-syscall-table.sh. */"
    print "#include \"syscalls.h\""
    for (i = 0; i < n; i++)
        printf "long sys_%s(const struct syscall_args *) __attribute__((weak));\n", name[i]
    max = 0
    for (i = 0; i < n; i++)
        if (nr[i] + 0 > max) max = nr[i] + 0
    print "const syscall_fn syscall_fns[] = {"
    for (i = 0; i < n; i++)
        printf "    [%d] = sys_%s,\n", nr[i], name[i]
    print "};"
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
