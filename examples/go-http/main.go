// examples/go-http: a Go net/http server, built by the Go toolchain as it
// is (CGO_ENABLED=0) and run unmodified as a unikernel:
//
//	CGO_ENABLED=0 go build -o server . && unikit build . && unikit run -p 8080:8080 go-http
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"runtime"
)

func main() {
	addr := ":8080"
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from Go net/http on %s/%s, path %s\n", runtime.GOOS, runtime.GOARCH, r.URL.Path)
	})
	log.Printf("listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, nil))
}
