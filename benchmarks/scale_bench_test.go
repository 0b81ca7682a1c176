package benchmarks

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/iotauth/iotauth"
)

// Many credentials in one process: one Cache per device or tenant.

var scales = []int{1_000, 10_000, 100_000}

func newToken(i int) *iotauth.Token {
	return &iotauth.Token{AccessToken: fmt.Sprintf("tok-%08d", i), Expiry: time.Now().Add(time.Hour)}
}

// heapPerCredential reports the heap that n credentials, each made by mk,
// hold once every one has served its token.
func heapPerCredential(b *testing.B, n int, mk func(i int) any) {
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		held := make([]any, n)
		for i := range held {
			held[i] = mk(i)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "B/credential")
		runtime.KeepAlive(held)
	}
}

func BenchmarkHeapPerCredential(b *testing.B) {
	for _, n := range scales {
		b.Run(fmt.Sprintf("impl=iotauth/n=%d", n), func(b *testing.B) {
			heapPerCredential(b, n, func(i int) any {
				tok := newToken(i)
				c := iotauth.NewCache(iotauth.TokenSourceFunc(func(context.Context) (*iotauth.Token, error) { return tok, nil }))
				if _, err := c.Token(context.Background()); err != nil {
					b.Fatal(err)
				}
				return c
			})
		})
		b.Run(fmt.Sprintf("impl=oauth2/n=%d", n), func(b *testing.B) {
			heapPerCredential(b, n, func(i int) any {
				tok := &oauth2.Token{AccessToken: fmt.Sprintf("tok-%08d", i), Expiry: time.Now().Add(time.Hour)}
				ts := oauth2.ReuseTokenSource(nil, oauth2.StaticTokenSource(tok))
				if _, err := ts.Token(); err != nil {
					b.Fatal(err)
				}
				return ts
			})
		})
	}
}

// BenchmarkHitSpread serves hits from n Caches in turn, as a service with
// one credential per device does: most hits miss the CPU caches.
func BenchmarkHitSpread(b *testing.B) {
	ctx := context.Background()
	for _, n := range scales {
		caches := make([]*iotauth.Cache, n)
		for i := range caches {
			tok := newToken(i)
			caches[i] = iotauth.NewCache(iotauth.TokenSourceFunc(func(context.Context) (*iotauth.Token, error) { return tok, nil }))
			if _, err := caches[i].Token(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(fmt.Sprintf("impl=iotauth/n=%d", n), func(b *testing.B) {
			var next atomic.Uint64
			b.RunParallel(func(pb *testing.PB) {
				i := next.Add(7919) // each goroutine starts elsewhere
				for pb.Next() {
					i = (i + 7919) % uint64(n)
					if _, err := caches[i].Token(ctx); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
		sources := make([]oauth2.TokenSource, n)
		for i := range sources {
			sources[i] = oauth2.ReuseTokenSource(nil, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "t", Expiry: time.Now().Add(time.Hour)}))
		}
		b.Run(fmt.Sprintf("impl=oauth2/n=%d", n), func(b *testing.B) {
			var next atomic.Uint64
			b.RunParallel(func(pb *testing.PB) {
				i := next.Add(7919)
				for pb.Next() {
					i = (i + 7919) % uint64(n)
					if _, err := sources[i].Token(); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// floorCache is the least a cache hit can do: one atomic load of the
// current entry and a check of its flag, with no clock and no counter.
type floorCache struct{ cur atomic.Pointer[floorEntry] }

type floorEntry struct {
	tok   *iotauth.Token
	fresh atomic.Bool
}

func (f *floorCache) Token(context.Context) (*iotauth.Token, error) {
	if e := f.cur.Load(); e != nil && e.fresh.Load() {
		return e.tok, nil
	}
	return nil, fmt.Errorf("miss")
}

// BenchmarkHitFloor compares a parallel iotauth hit with the floor.
func BenchmarkHitFloor(b *testing.B) {
	ctx := context.Background()
	b.Run("impl=iotauth", func(b *testing.B) {
		c := iotauthCache(b)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Token(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("impl=floor", func(b *testing.B) {
		f := &floorCache{}
		e := &floorEntry{tok: newToken(0)}
		e.fresh.Store(true)
		f.cur.Store(e)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := f.Token(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
