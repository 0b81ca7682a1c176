package benchmarks

import (
	"context"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iotauth/iotauth"
)

// A Pool of Caches, one per tenant, against the obvious alternative: a
// sync.Map of Caches (which, unlike the Pool, builds two Caches and logs in
// twice when two requests for a new tenant meet, and never forgets one).

var poolScales = []int{1_000, 100_000, 1_000_000}

func tenantKey(i int) string { return fmt.Sprintf("tenant-%07d", i) }

// sharedSource is one source for every tenant, so that the heap figures
// count what the Pool and its Caches hold, not the tokens (which a tenant
// has however it is cached: see BenchmarkHeapPerCredential).
var sharedSource = func() iotauth.TokenSource {
	tok := &iotauth.Token{AccessToken: "tok", Expiry: time.Now().Add(24 * time.Hour)}
	return iotauth.TokenSourceFunc(func(context.Context) (*iotauth.Token, error) { return tok, nil })
}()

func loadShared(context.Context, string) (iotauth.TokenSource, error) { return sharedSource, nil }

// syncMapPool is a sync.Map of Caches, built on first use.
type syncMapPool struct{ m sync.Map }

func (s *syncMapPool) Token(ctx context.Context, key string) (*iotauth.Token, error) {
	if c, ok := s.m.Load(key); ok {
		return c.(*iotauth.Cache).Token(ctx)
	}
	src, _ := loadShared(ctx, key)
	c, _ := s.m.LoadOrStore(key, iotauth.NewCache(src))
	return c.(*iotauth.Cache).Token(ctx)
}

type tokener interface {
	Token(ctx context.Context, key string) (*iotauth.Token, error)
}

func fill(b *testing.B, p tokener, n int) {
	ctx := context.Background()
	for i := range n {
		if _, err := p.Token(ctx, tenantKey(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPoolHeapPerTenant reports the heap that n tenants hold, each
// with a cached token, keys included: the Pool, a sync.Map of Caches, and
// the Caches alone.
func BenchmarkPoolHeapPerTenant(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		measure := func(b *testing.B, mk func() any) {
			for b.Loop() {
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				held := mk()
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "B/tenant")
				runtime.KeepAlive(held)
				if p, ok := held.(*iotauth.Pool); ok {
					p.Close()
				}
			}
		}
		b.Run(fmt.Sprintf("impl=pool/n=%d", n), func(b *testing.B) {
			measure(b, func() any { p := iotauth.NewPool(loadShared); fill(b, p, n); return p })
		})
		b.Run(fmt.Sprintf("impl=pool-idle/n=%d", n), func(b *testing.B) {
			measure(b, func() any {
				p := iotauth.NewPool(loadShared, iotauth.WithIdleTimeout(time.Hour), iotauth.WithMaxCaches(2*n))
				fill(b, p, n)
				return p
			})
		})
		b.Run(fmt.Sprintf("impl=syncmap/n=%d", n), func(b *testing.B) {
			measure(b, func() any { p := &syncMapPool{}; fill(b, p, n); return p })
		})
		b.Run(fmt.Sprintf("impl=caches/n=%d", n), func(b *testing.B) {
			measure(b, func() any {
				cs := make([]*iotauth.Cache, n)
				for i := range cs {
					cs[i] = iotauth.NewCache(sharedSource)
					if _, err := cs[i].Token(context.Background()); err != nil {
						b.Fatal(err)
					}
				}
				return cs
			})
		})
	}
}

// hitImpls runs bench over each implementation holding n tenants: the
// Pool, a sync.Map of Caches, the floor of any keyed hit (impl=slice: the
// key's number indexes a slice of Caches) and, to subtract, the
// benchmark's own part (impl=keys: the key read and hashed, as every map
// does, and nothing else). Each is filled once, before its first round, so
// that the testing package can size its rounds by time.
func hitImpls(b *testing.B, n int, suffix string, bench func(b *testing.B, p tokener)) {
	impls := []struct {
		name string
		make func() tokener
	}{
		{"pool", func() tokener { return iotauth.NewPool(loadShared, iotauth.WithIdleTimeout(time.Hour)) }},
		{"syncmap", func() tokener { return &syncMapPool{} }},
		{"slice", func() tokener { return &sliceOfCaches{} }},
		{"keys", func() tokener { return hashOnly{} }},
	}
	for _, impl := range impls {
		var p tokener
		b.Run("impl="+impl.name+suffix, func(b *testing.B) {
			if p == nil {
				p = impl.make()
				fill(b, p, n)
			}
			bench(b, p)
		})
		if c, ok := p.(interface{ Close() }); ok {
			c.Close()
		}
		p = nil
		runtime.GC()
	}
}

// hitParallel times b.N parallel hits, the i-th of a goroutine on key(i),
// and reports the process's CPU time per hit beside the wall time. Each
// goroutine starts a million steps from the others.
func hitParallel(b *testing.B, p tokener, key func(i uint64) string) {
	ctx := context.Background()
	runtime.GC()
	b.ResetTimer()
	cpu := cpuTime()
	var next atomic.Uint64
	b.RunParallel(func(pb *testing.PB) {
		i := next.Add(1 << 20)
		for pb.Next() {
			i++
			if _, err := p.Token(ctx, key(i)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.StopTimer()
	reportCPU(b, cpu)
}

// BenchmarkPoolHit serves parallel hits spread over n tenants, each
// goroutine stepping through them with a stride of 7,919 (as
// BenchmarkHitSpread does over Caches). At a million tenants every step
// misses the CPU caches, the benchmark's own key strings included.
func BenchmarkPoolHit(b *testing.B) {
	for _, n := range poolScales {
		keys := tenantKeys(n)
		hitImpls(b, n, fmt.Sprintf("/n=%d", n), func(b *testing.B, p tokener) {
			hitParallel(b, p, func(i uint64) string { return keys[i*7919%uint64(n)] })
		})
	}
}

func tenantKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = tenantKey(i)
	}
	return keys
}

// sliceOfCaches is the least a keyed hit can do: the Caches in a slice
// indexed by the number in the key (tenantKey's), read from its bytes, with
// no table, no hash and no comparison; built on first use, never forgotten.
type sliceOfCaches struct{ cs []*iotauth.Cache }

func (s *sliceOfCaches) Token(ctx context.Context, key string) (*iotauth.Token, error) {
	i := 0
	for _, d := range key[len("tenant-"):] {
		i = i*10 + int(d-'0')
	}
	if i >= len(s.cs) {
		s.cs = append(s.cs, make([]*iotauth.Cache, i+1-len(s.cs))...)
	}
	if s.cs[i] == nil {
		s.cs[i] = iotauth.NewCache(sharedSource) // fill's, before any parallel use
	}
	return s.cs[i].Token(ctx)
}

// hashOnly reads and hashes the key, as every map does, and nothing else:
// the benchmarks' own share of a hit.
type hashOnly struct{}

var hashSeed = maphash.MakeSeed()

func (hashOnly) Token(_ context.Context, key string) (*iotauth.Token, error) {
	if maphash.String(hashSeed, key) == 0 {
		return nil, fmt.Errorf("zero hash")
	}
	return nil, nil
}

// BenchmarkPoolHitSkewed serves parallel hits over a million tenants whose
// use follows a Zipf law (s = 1.1: the thousand busiest tenants get about
// 70% of the requests, the rest are spread over the other 999,000), as a
// service's tenants do more often than evenly. The requests' keys are drawn
// before the timer starts.
func BenchmarkPoolHitSkewed(b *testing.B) {
	const n = 1_000_000
	keys := tenantKeys(n)
	z := rand.NewZipf(rand.New(rand.NewPCG(1, 2)), 1.1, 1, n-1)
	seq := make([]int32, 1<<20)
	for i := range seq {
		seq[i] = int32(z.Uint64())
	}
	hitImpls(b, n, "", func(b *testing.B, p tokener) {
		hitParallel(b, p, func(i uint64) string { return keys[seq[i&(1<<20-1)]] })
	})
}

// BenchmarkPoolHitHot serves parallel hits over the 1,000 busiest of a
// million tenants (every thousandth key, so their slots are spread over
// the whole table): the Pool's own path at a million tenants once the
// working set is in the CPU caches, which BenchmarkPoolHit's uniform
// stride over all of them never is.
func BenchmarkPoolHitHot(b *testing.B) {
	const n, hot = 1_000_000, 1_000
	keys := tenantKeys(n)
	hotKeys := make([]string, hot)
	for i := range hotKeys {
		hotKeys[i] = keys[i*(n/hot)]
	}
	hitImpls(b, n, "", func(b *testing.B, p tokener) {
		hitParallel(b, p, func(i uint64) string { return hotKeys[i*7919%hot] })
	})
}

// BenchmarkPoolHitOneTenant is every goroutine hitting the same tenant:
// the Pool writes nothing shared on a hit.
func BenchmarkPoolHitOneTenant(b *testing.B) {
	ctx := context.Background()
	for _, impl := range []string{"pool", "syncmap"} {
		b.Run("impl="+impl, func(b *testing.B) {
			var p tokener = &syncMapPool{}
			if impl == "pool" {
				pool := iotauth.NewPool(loadShared, iotauth.WithIdleTimeout(time.Hour))
				defer pool.Close()
				p = pool
			}
			fill(b, p, 1)
			key := tenantKey(0)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := p.Token(ctx, key); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkPoolIdleEviction lets 100,000 Caches go idle together and
// reports how long after their last use the Pool held none (bounded by the
// idle timeout and a quarter, plus the sweep), how long the sweep that
// dropped them took (the goal: less than one idle timeout), how many sweeps
// it took, and the most goroutines the Pool ran while they went idle (the
// goal: none per Cache).
func BenchmarkPoolIdleEviction(b *testing.B) {
	const n = 100_000
	const idle = 4 * time.Second
	for b.Loop() {
		var mu sync.Mutex
		times := make([]int64, 0, 2*n)
		base := runtime.NumGoroutine()
		p := iotauth.NewPool(loadShared, iotauth.WithIdleTimeout(idle), iotauth.WithEvictionHook(func(iotauth.PoolEviction) {
			now := time.Now().UnixNano()
			mu.Lock()
			times = append(times, now)
			mu.Unlock()
		}))
		fill(b, p, n) // builds the Caches, which takes a while on a busy machine
		fill(b, p, n) // uses each again, within a moment
		lastUse := time.Now()
		peak := 0
		for p.Len() > 0 {
			peak = max(peak, runtime.NumGoroutine()-base)
			time.Sleep(5 * time.Millisecond)
		}
		empty := time.Since(lastUse)
		p.Close()
		mu.Lock()
		// The sweeps after the last use: runs of evictions less than a
		// tenth of the idle timeout apart (sweeps are a quarter apart).
		var sweeps int
		var longest, start, prev int64
		for _, t := range times {
			if t < lastUse.UnixNano() {
				continue // dropped while the first fill still ran, and built again
			}
			if prev == 0 || t-prev > int64(idle/10) {
				sweeps++
				start = t
			}
			prev = t
			longest = max(longest, t-start)
		}
		mu.Unlock()
		b.ReportMetric(empty.Seconds(), "s-to-empty")
		b.ReportMetric(time.Duration(longest).Seconds(), "s-sweep")
		b.ReportMetric(float64(sweeps), "sweeps")
		b.ReportMetric(idle.Seconds(), "s-idle-timeout")
		b.ReportMetric(float64(peak), "max-goroutines")
	}
}
