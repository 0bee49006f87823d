# How tests/compat/ builds each program from its Debian source package
# (sourced by tests/compat/lib.sh, not run). For a package PKG (its name
# with "." as "_"):
#   prepare_PKG SRC       optional: once per source tree, for every arch
#                         (SQLite's amalgamation is generated here)
#   recipe_PKG SRC CC OUT compiles the static programs into folder OUT
#                         with CC (musl-gcc, aarch64-linux-musl-gcc)
# The cache key of the programs is the package's version and the checksum
# of its functions here: changing a recipe rebuilds that package.

# bzip2: the compressor, as its Makefile builds it.
recipe_bzip2() {
    (cd "$1" && $2 -static -O2 -D_FILE_OFFSET_BITS=64 -w -o "$3/bzip2" \
        blocksort.c huffman.c crctable.c randtable.c compress.c decompress.c bzlib.c bzip2.c)
}

# lua5.4: the interpreter with its POSIX features (no dlopen), as
# `make posix` builds it.
recipe_lua5_4() {
    (cd "$1/src" && $2 -static -O2 -std=gnu99 -DLUA_COMPAT_5_3 -DLUA_USE_POSIX -w \
        -o "$3/lua" $(ls ./*.c | grep -v luac.c) -lm)
}

# sqlite3: the source tree generates the amalgamation (sqlite3.c and
# shell.c, with tclsh and the host's compiler), which compiles in one
# command. -O1: -O2 takes twice as long for this 8 MB file.
prepare_sqlite3() {
    [ -f "$1/sqlite3.c" ] && [ -f "$1/shell.c" ] && return 0
    (cd "$1" && ./configure --disable-tcl --disable-readline --disable-load-extension &&
        make -j"$(nproc)" sqlite3.c shell.c)
}
recipe_sqlite3() {
    (cd "$1" && $2 -static -O1 -DSQLITE_OMIT_LOAD_EXTENSION -DHAVE_USLEEP -w \
        -o "$3/sqlite3" sqlite3.c shell.c)
}

# civetweb: the CivetWeb server (threads), without TLS or CGI (CGI forks),
# for bench/compat.sh.
recipe_civetweb() {
    (cd "$1" && $2 -static -O2 -DNO_SSL -DNO_CGI -DUSE_IPV6=0 -w -Iinclude \
        -o "$3/civetweb" src/main.c src/civetweb.c -lpthread)
}

# nginx: one process (the bench's config says master_process off), HTTP
# core and static files only. Debian's musl has no crypt(3) nor <crypt.h>,
# which nginx includes unconditionally: an empty one, and NGX_CRYPT=0.
# configure runs its probes, so it runs with the host's musl-gcc (an
# aarch64 probe cannot run here) and CC compiles: both are LP64 musl.
recipe_nginx() {
    (cd "$1" && mkdir -p compat-shim && : >compat-shim/crypt.h &&
        b=objs-$(basename "$3") &&
        ./configure --builddir="$b" --with-cc="${MUSL_GCC:-musl-gcc}" \
            --with-cc-opt="-I$1/compat-shim -DNGX_CRYPT=0 -Wno-error" --with-ld-opt=-static \
            --without-pcre --without-http-cache --without-http_rewrite_module \
            --without-http_gzip_module --without-http_auth_basic_module \
            --without-http_proxy_module --without-http_fastcgi_module \
            --without-http_uwsgi_module --without-http_scgi_module \
            --prefix=/ --error-log-path=stderr --http-log-path=/dev/null \
            --pid-path=/tmp/nginx.pid --http-client-body-temp-path=/tmp/client-body &&
        make -f "$b/Makefile" CC="$2" -j"$(nproc)" && cp "$b/nginx" "$3/nginx")
}
