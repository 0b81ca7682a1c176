// Command reverseproxy is the baseline of the serve benchmark (run.sh):
// httputil.ReverseProxy to one upstream with fixed headers, over the same
// http.Transport settings as 'iotauth serve'.
package main

import (
	"flag"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
)

type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

func main() {
	listen := flag.String("listen", "127.0.0.1:8788", "address to listen on")
	upstream := flag.String("upstream", "", "base URL to proxy to")
	var hs headers
	flag.Var(&hs, "header", `"Name: value" set on every request (repeatable)`)
	flag.Parse()
	target, err := url.Parse(*upstream)
	if err != nil || target.Host == "" {
		log.Fatalf("-upstream %q is not a URL", *upstream)
	}
	fixed := http.Header{}
	for _, h := range hs {
		k, v, _ := strings.Cut(h, ":")
		fixed[k] = []string{strings.TrimSpace(v)} // as given: app_key keeps its case
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	tr.MaxIdleConns = 1024
	rp := &httputil.ReverseProxy{
		Transport: tr,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = ""
			for k, v := range fixed {
				pr.Out.Header[k] = v
			}
		},
	}
	log.Fatal(http.ListenAndServe(*listen, rp))
}
