package iotauth

import (
	"context"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Pool holds one Cache per key (a tenant, a customer's application, a device
// group) for services that act for many: the Cache of a key is built on its
// first use, from the source load returns for it, and dropped when it is
// idle or the Pool is full.
//
//   - Concurrent first uses of a key share one call to load and one login.
//   - A hit costs a hash, a lock-free table lookup and the Cache's own hit:
//     no lock, no allocation, no clock read.
//   - A load failure is the key's alone: it is retried after the Caches'
//     backoff (a credential failure after their hold-off), with one call to
//     load at a time, while every other key is served as usual.
//   - WithIdleTimeout drops Caches unused for a while and WithMaxCaches
//     bounds their number; one goroutine per Pool sweeps idle Caches, none
//     per Cache, and only while the Pool holds some: an empty Pool runs
//     nothing. A dropped key is loaded again at its next use.
//   - Dropping a Cache for idleness or the bound stops it (its timers, its
//     login in flight, its store watch) without closing its source: no
//     logout, no call to the platform, so that sweeping many idle tenants
//     is quick and never delays a load. Forget and Close close the source
//     too (OceanConnect logs out); WithCloseOnEviction makes every eviction
//     do so.
//
// Use Token directly, or NewPoolTransport for an http.Client that serves
// every key, picking it from each request's context (WithPoolKey).
type Pool struct {
	clock  atomic.Uint32 // advances at each new Cache and each sweep: the entries' last-use stamps
	closed atomic.Bool
	n      atomic.Int64 // Caches held
	seed   maphash.Seed
	shards [poolShards]poolShard

	load       func(ctx context.Context, key string) (TokenSource, error)
	cacheOpts  []CacheOption
	cfg        cacheConfig // what cacheOpts set: the backoff and hold-off for load failures, and the configuration of its Caches without a Store
	idle       time.Duration
	max        int
	closeEvict bool // WithCloseOnEviction
	hooks      []func(PoolEvent)
	build      func(key string, src TokenSource, opts ...CacheOption) *Cache
	counts     struct{ loads, loadFailures, evictions atomic.Int64 }
	tmu        sync.Mutex
	transports []*PoolTransport // each holds a Transport per key it served

	stop     chan struct{} // closed by Close: the sweeper ends
	swept    sync.WaitGroup
	smu      sync.Mutex // guards sweeping
	sweeping bool       // a sweeper runs: only while the Pool holds Caches
	closeMu  sync.Mutex

	// Sources to close off the callers' paths, by up to poolClosers
	// goroutines that run while there are some.
	cmu     sync.Mutex
	closing []*Cache
	closers int
	drained chan struct{} // closed when the last closer ends; under cmu
}

// poolClosers bounds the goroutines closing evicted Caches' sources at once.
const poolClosers = 4

// PoolOption configures NewPool. A nil PoolOption makes NewPool panic.
type PoolOption func(*Pool)

// WithPoolCacheOptions gives every Cache of the Pool these options. With
// WithStore, each Cache's store key is its source's (Platform.StoreKey), or
// one derived from its pool key when the source has none: a WithStoreKey
// among opts is overridden, so that tenants never share a stored token.
func WithPoolCacheOptions(opts ...CacheOption) PoolOption {
	return func(p *Pool) { p.cacheOpts = append(p.cacheOpts, opts...) }
}

// WithIdleTimeout drops a key's Cache once it has not been used for d: at
// the Pool's first sweep after d has passed, which is at most d/4 later.
// The Cache is stopped, its source not closed (see WithCloseOnEviction). A
// request in flight through a PoolTransport holds its Cache open. The
// sweeping goroutine runs only while the Pool holds Caches. Zero or less:
// Caches are not dropped for idleness.
func WithIdleTimeout(d time.Duration) PoolOption { return func(p *Pool) { p.idle = d } }

// WithMaxCaches bounds the Caches a Pool holds to n: building one more first
// drops the least recently used (sampled among up to 16 Caches, to the
// resolution of the Pool's clock, which advances at each new Cache and each
// idle sweep). The dropped Cache is stopped, its source not closed (see
// WithCloseOnEviction). Zero or less: no bound.
func WithMaxCaches(n int) PoolOption { return func(p *Pool) { p.max = n } }

// WithCloseOnEviction closes the source of every Cache the Pool drops for
// idleness or the bound, as Forget does (OceanConnect logs out), instead of
// only stopping the Cache. Use it when this program is its tenants' only
// user (a logout ends the token for every process that shares the
// credential), or when load returns sources of the program's own whose
// Close frees something (a connection, a goroutine) that should not wait
// for the garbage collector. The sources are closed in the background, a
// few at a time, each bounded by its provider's own timeout, so that
// neither the sweep nor a load waits for a logout; Close waits for those
// still queued.
func WithCloseOnEviction() PoolOption { return func(p *Pool) { p.closeEvict = true } }

// WithPoolHook calls h with every PoolEvent: each load of a key and each
// Cache dropped. Hooks add up: each WithPoolHook (and WithEvictionHook)
// adds one, called in the order given. h runs on the path of the load or
// the eviction, so it must return quickly; a panic in h is recovered.
func WithPoolHook(h func(PoolEvent)) PoolOption {
	return func(p *Pool) {
		if h != nil {
			p.hooks = append(p.hooks, h)
		}
	}
}

// WithEvictionHook calls h after the Pool drops a key's Cache, with the
// reason; the Cache is stopped by then or, when a request still uses it, as
// soon as it ends. h must return quickly. It is WithPoolHook for the
// "evict" events only.
func WithEvictionHook(h func(PoolEviction)) PoolOption {
	if h == nil {
		return WithPoolHook(nil)
	}
	return WithPoolHook(func(ev PoolEvent) {
		if ev.Op == "evict" {
			h(PoolEviction{Key: ev.Key, Cache: ev.Cache, Reason: ev.Reason})
		}
	})
}

// WithPoolNewCache makes the Pool build each key's Cache with build instead
// of NewCache: to add per-key options such as a logger that names the
// tenant. build must return a new Cache over src with opts (the Pool's Cache
// options and the derived store key) among its options, used by nothing
// else: the Pool stops or closes it when it drops the key.
func WithPoolNewCache(build func(key string, src TokenSource, opts ...CacheOption) *Cache) PoolOption {
	return func(p *Pool) { p.build = build }
}

// PoolEviction reports a Cache a Pool dropped. Reason is "idle" (see
// WithIdleTimeout), "max" (WithMaxCaches), "forget" (Pool.Forget) or
// "close" (Pool.Close).
type PoolEviction struct {
	Key    string
	Cache  *Cache
	Reason string
}

// PoolStats counts what a Pool did.
type PoolStats struct {
	Caches       int64 // Caches held now
	Loads        int64 // calls to load
	LoadFailures int64 // calls to load that failed
	Evictions    int64 // Caches dropped for idleness, the bound or Forget
}

// NewPool returns a Pool that builds the Cache of a key from the source
// load returns for it. load runs detached from the caller's context, bounded
// by the Caches' refresh timeout (WithRefreshTimeout), and never twice at
// once for a key. It panics when load or an option is nil: each is a mistake
// in the program.
func NewPool(load func(ctx context.Context, key string) (TokenSource, error), opts ...PoolOption) *Pool {
	if load == nil {
		panic("iotauth: NewPool: nil load function")
	}
	p := &Pool{load: load, seed: maphash.MakeSeed(), stop: make(chan struct{})}
	for i, o := range opts {
		if o == nil {
			panic(fmt.Sprintf("iotauth: NewPool: option %d is nil; leave it out instead", i+1))
		}
		o(p)
	}
	p.cfg = newCacheConfig("NewPool: Cache option", p.cacheOpts)
	for i := range p.shards {
		p.shards[i].pending = map[string]*poolLoad{}
		p.shards[i].seed = p.seed
	}
	return p
}

// Token returns a token for key from its Cache, building the Cache first
// when the Pool has none for key. After Close it returns ErrClosed.
func (p *Pool) Token(ctx context.Context, key string) (*Token, error) {
	for {
		pe, err := p.entry(ctx, key)
		if err != nil {
			return nil, err
		}
		tok, err := pe.c.Token(ctx)
		if err != nil && pe.word.Load()&poolEvicted != 0 {
			continue // dropped meanwhile: build it again
		}
		return tok, err
	}
}

// Forget drops key's Cache now, and any failure of its load, so that its
// next use loads afresh (a tenant whose secret changed). The Cache is
// closed with its source (OceanConnect logs out) before Forget returns or,
// when a request still uses it, in the background once it ends. A load in
// flight for key is not installed: its callers load again.
func (p *Pool) Forget(key string) {
	h := maphash.String(p.seed, key)
	s := p.shard(h)
	s.mu.Lock()
	pe := s.remove(h, key)
	if ld := s.pending[key]; ld != nil {
		ld.forgotten = true
		delete(s.pending, key)
	}
	s.mu.Unlock()
	if pe != nil {
		p.n.Add(-1)
		p.counts.evictions.Add(1)
		p.retire(pe, "forget", true)
	}
}

// Len returns how many Caches the Pool holds.
func (p *Pool) Len() int { return int(p.n.Load()) }

// Stats returns what the Pool has done so far.
func (p *Pool) Stats() PoolStats {
	return PoolStats{Caches: p.n.Load(), Loads: p.counts.loads.Load(),
		LoadFailures: p.counts.loadFailures.Load(), Evictions: p.counts.evictions.Load()}
}

// Close closes every Cache with its source (OceanConnect logs out), a few at
// a time, and returns once they are closed, with those a request still uses
// through a PoolTransport closed in the background as soon as it ends. It
// stops the sweeper, and Token returns ErrClosed from then on. It is safe to
// call more than once.
func (p *Pool) Close() {
	p.closeMu.Lock()
	defer p.closeMu.Unlock()
	// Under smu, so that a sweeper starting meanwhile either sees closed or
	// is counted in swept before the Wait below.
	p.smu.Lock()
	wasClosed := p.closed.Swap(true)
	p.smu.Unlock()
	if wasClosed {
		return
	}
	close(p.stop)
	p.swept.Wait()
	for i := range p.shards {
		s := &p.shards[i]
		s.mu.Lock()
		all := s.drain()
		s.mu.Unlock()
		for _, pe := range all {
			p.n.Add(-1)
			p.retire(pe, "close", false)
		}
	}
	p.cmu.Lock()
	drained := p.drained
	p.cmu.Unlock()
	if drained != nil {
		<-drained
	}
}

// String describes the Pool without its keys.
func (p *Pool) String() string {
	if p == nil {
		return "<nil>"
	}
	return fmt.Sprintf("iotauth.Pool{caches: %d}", p.Len())
}

// entry returns key's entry, building it when the Pool has none.
func (p *Pool) entry(ctx context.Context, key string) (*poolEntry, error) {
	h := maphash.String(p.seed, key)
	s := p.shard(h)
	if pe := s.lookup(h, key); pe != nil {
		p.touch(pe)
		return pe, nil
	}
	if key == "" {
		return nil, &Error{Op: "pool", Kind: ErrBadRequest, Message: "empty pool key"}
	}
	for {
		pe, ld, err := p.pendingFor(ctx, s, h, key)
		if pe != nil || err != nil {
			return pe, err
		}
		select {
		case <-ld.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if ld.err != nil {
			return nil, ld.err
		}
		if ld.pe != nil {
			return ld.pe, nil
		}
		// Forgotten or closed meanwhile: look again.
	}
}

// pendingFor returns key's entry when it is there, or the load to wait for,
// starting one unless a failure is being backed off.
func (p *Pool) pendingFor(ctx context.Context, s *poolShard, h uint64, key string) (*poolEntry, *poolLoad, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.closed.Load() {
		return nil, nil, ErrClosed
	}
	if pe := s.lookup(h, key); pe != nil {
		p.touch(pe)
		return pe, nil, nil
	}
	now := time.Now().UnixNano()
	ld := s.pending[key]
	if ld != nil && !ld.finished() {
		return nil, ld, nil
	}
	var failures int32
	if ld != nil { // a failed load
		if now < ld.retryAt {
			return nil, nil, ld.err
		}
		failures = ld.failures
	} else {
		s.purgeLocked(now)
	}
	ld = &poolLoad{done: make(chan struct{}), failures: failures}
	s.pending[key] = ld
	go p.fill(context.WithoutCancel(ctx), s, h, key, ld)
	return nil, ld, nil
}

// fill calls load for key and installs its Cache, or records the failure.
func (p *Pool) fill(ctx context.Context, s *poolShard, h uint64, key string, ld *poolLoad) {
	p.counts.loads.Add(1)
	start := time.Now()
	c, err := p.build1(ctx, key)
	var victim bool
	s.mu.Lock()
	switch {
	case ld.forgotten || p.closed.Load():
		if s.pending[key] == ld {
			delete(s.pending, key)
		}
		err = nil
	case err != nil:
		p.counts.loadFailures.Add(1)
		ld.failures++
		ld.err = err
		d := p.cfg.backoff(ld.failures)
		if IsCredentialFailure(err) {
			d = p.cfg.holdOff
		}
		ld.retryAt = time.Now().Add(d).UnixNano()
	default:
		ld.pe = &poolEntry{key: key, c: c}
		ld.pe.word.Store(uint64(p.clock.Add(1)))
		s.insertLocked(h, ld.pe)
		delete(s.pending, key)
		victim = p.n.Add(1) > int64(p.max) && p.max > 0
	}
	s.mu.Unlock()
	if ld.pe == nil && c != nil {
		_ = c.Close()
	}
	if len(p.hooks) > 0 && (ld.pe != nil || err != nil) {
		ev := PoolEvent{Op: "load", Key: key, Err: err, Duration: time.Since(start)}
		if ld.pe != nil {
			ev.Cache, ev.Platform = c, c.name()
		}
		p.emit(ev)
	}
	if ld.pe != nil {
		p.startSweeper()
	}
	if victim {
		p.evictLRU(ld.pe)
	}
	ld.finish.Store(true)
	close(ld.done)
}

// build1 calls load and builds the Cache, turning a panic, a nil source or
// a mistake in the options into an error for this key.
func (p *Pool) build1(ctx context.Context, key string) (c *Cache, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, &Error{Op: "pool load", Kind: ErrServer, Message: fmt.Sprintf("building the key's Cache panicked: %v", r)}
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, p.cfg.refreshTimeout)
	src, err := p.load(ctx, key)
	cancel()
	if err != nil {
		return nil, &Error{Op: "pool load", Message: "loading the key's source failed", Err: err}
	}
	if src == nil {
		return nil, &Error{Op: "pool load", Kind: ErrServer, Message: "load returned no source and no error"}
	}
	opts := p.cacheOpts
	if p.cfg.store != nil {
		d := Describe(src)
		sk := d.StoreKey
		if sk == "" {
			sk = StoreKey(d.Name, "iotauth.Pool", key)
		}
		opts = append(opts[:len(opts):len(opts)], WithStoreKey(sk))
	}
	switch {
	case p.build == nil && p.cfg.store == nil:
		// The Caches share the Pool's configuration, made from the same
		// options, rather than each holding a copy (as they would with a
		// logger or a hook).
		return newCache(src, &p.cfg), nil
	case p.build == nil:
		return NewCache(src, opts...), nil
	}
	c = p.build(key, src, opts...)
	if c == nil {
		return nil, &Error{Op: "pool load", Kind: ErrServer, Message: "the Pool's Cache constructor returned nil"}
	}
	return c, nil
}

// touch stamps pe with the Pool's clock, writing only when it moved.
func (p *Pool) touch(pe *poolEntry) {
	w := pe.word.Load()
	if now := p.clock.Load(); uint32(w) != now {
		pe.word.CompareAndSwap(w, w&^poolStampMask|uint64(now))
	}
}

// poolLoad is a call to load in flight, or the failure of the last one.
type poolLoad struct {
	done      chan struct{}
	finish    atomic.Bool
	pe        *poolEntry // the result; nil on failure
	err       error
	failures  int32 // consecutive failures; under the shard's mu
	retryAt   int64 // no load before it (Unix nanoseconds)
	forgotten bool  // under the shard's mu: Forget or Close came
}

func (ld *poolLoad) finished() bool { return ld.finish.Load() }

// purgeLocked drops the failed loads whose retry time has passed, once the
// shard holds many: a flood of keys that fail to load holds memory for
// the backoff at most. s.mu must be held.
func (s *poolShard) purgeLocked(now int64) {
	if len(s.pending) < max(64, s.purgeAt) {
		return
	}
	for k, ld := range s.pending {
		if ld.finished() && now >= ld.retryAt {
			delete(s.pending, k)
		}
	}
	s.purgeAt = 2 * len(s.pending)
}

// The eviction protocol. An entry's word holds its last-use stamp, the
// requests using its Cache through a PoolTransport, and three flags:
// evicted (out of the table), source (close the Cache's source too, not only
// stop the Cache) and closed (its Cache stopped or closed). The Cache is
// closed by whoever sees it evicted with no request using it, once.
const (
	poolStampMask = 1<<32 - 1
	poolRef       = 1 << 32
	poolRefMask   = (1<<29 - 1) << 32
	poolSource    = 1 << 61
	poolEvicted   = 1 << 62
	poolClosed    = 1 << 63
)

// acquire holds pe's Cache open until release; false when it was dropped.
func (p *Pool) acquire(pe *poolEntry) bool {
	if pe.word.Add(poolRef)&poolEvicted != 0 {
		p.release(pe)
		return false
	}
	return true
}

// release ends a hold, closing the Cache when it was the last of an evicted entry.
func (p *Pool) release(pe *poolEntry) {
	if w := pe.word.Add(^uint64(poolRef - 1)); w&(poolRefMask|poolEvicted|poolClosed) == poolEvicted {
		p.closeEntry(pe, w, false)
	}
}

// retire marks pe evicted (it is out of the table) and stops its Cache
// unless a request uses it. The Cache's source is closed too for Forget and
// Close, and WithCloseOnEviction: at once when now is set, else in the
// background.
func (p *Pool) retire(pe *poolEntry, reason string, now bool) {
	flags := uint64(poolEvicted)
	if p.closeEvict || reason == "forget" || reason == "close" {
		flags |= poolSource
	}
	w := pe.word.Or(flags) | flags
	if w&(poolRefMask|poolClosed) == 0 {
		p.closeEntry(pe, w, now)
	}
	if len(p.hooks) > 0 {
		p.emit(PoolEvent{Op: "evict", Key: pe.key, Platform: pe.c.name(), Cache: pe.c, Reason: reason})
	}
}

// emit calls the hooks with ev, recovering from a panic in any.
func (p *Pool) emit(ev PoolEvent) {
	for _, h := range p.hooks {
		func() {
			defer func() { _ = recover() }()
			h(ev)
		}()
	}
}

// closeEntry stops pe's Cache, once, and closes its source when pe is
// marked so: at once when now is set, else in the background.
func (p *Pool) closeEntry(pe *poolEntry, w uint64, now bool) {
	for w&(poolRefMask|poolClosed) == 0 {
		if pe.word.CompareAndSwap(w, w|poolClosed) {
			switch {
			case w&poolSource == 0:
				pe.c.stop()
			case now:
				_ = pe.c.Close()
			case pe.c.stop():
				p.closeLater(pe.c)
			}
			p.forgetTransports(pe)
			return
		}
		w = pe.word.Load()
	}
}

// closeLater queues c's source to be closed by a closer goroutine, starting
// one when fewer than poolClosers run.
func (p *Pool) closeLater(c *Cache) {
	p.cmu.Lock()
	p.closing = append(p.closing, c)
	start := p.closers < poolClosers
	if start {
		if p.closers == 0 {
			p.drained = make(chan struct{})
		}
		p.closers++
	}
	p.cmu.Unlock()
	if start {
		go p.closeQueued()
	}
}

// closeQueued closes the queued sources until none is left.
func (p *Pool) closeQueued() {
	for {
		p.cmu.Lock()
		if len(p.closing) == 0 {
			p.closing = nil
			p.closers--
			if p.closers == 0 {
				close(p.drained)
				p.drained = nil
			}
			p.cmu.Unlock()
			return
		}
		c := p.closing[0]
		p.closing[0] = nil
		p.closing = p.closing[1:]
		p.cmu.Unlock()
		_ = c.closeSource()
	}
}

// startSweeper starts the sweeper of a Pool with an idle timeout unless one
// runs: it runs only while the Pool holds Caches, so an empty Pool, even
// one never closed, runs no goroutine.
func (p *Pool) startSweeper() {
	if p.idle <= 0 {
		return
	}
	p.smu.Lock()
	defer p.smu.Unlock()
	if p.sweeping || p.closed.Load() {
		return
	}
	p.sweeping = true
	p.swept.Add(1)
	go p.sweeper()
}

// sweeperDone reports whether the sweeper ends because the Pool holds no
// Cache; a Cache added after it starts another.
func (p *Pool) sweeperDone() bool {
	p.smu.Lock()
	defer p.smu.Unlock()
	if p.n.Load() > 0 {
		return false
	}
	p.sweeping = false
	return true
}

// sweeper drops idle Caches, a quarter of the idle timeout at a time, until
// the Pool holds none or is closed.
func (p *Pool) sweeper() {
	defer p.swept.Done()
	const steps = 4
	t := time.NewTicker(max(p.idle/steps, time.Millisecond))
	defer t.Stop()
	var ring [steps + 1]uint32
	for k := 0; ; k++ {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		if p.sweeperDone() {
			return
		}
		v := p.clock.Add(1)
		ring[k%len(ring)] = v
		if k < steps {
			continue
		}
		// Entries stamped before the sweep steps ago were last used
		// before then: at least the idle timeout ago.
		p.sweep(ring[(k-steps)%len(ring)])
	}
}

// sweep drops the entries stamped before threshold, and old failed loads.
func (p *Pool) sweep(threshold uint32) {
	now := time.Now().UnixNano()
	var idle []*poolEntry
	for i := range p.shards {
		s := &p.shards[i]
		s.mu.Lock()
		idle = s.removeIf(idle[:0], func(pe *poolEntry) bool {
			return int32(uint32(pe.word.Load())-threshold) < 0 && pe.word.Load()&poolRefMask == 0
		})
		for k, ld := range s.pending {
			if ld.finished() && now >= ld.retryAt {
				delete(s.pending, k)
			}
		}
		s.mu.Unlock()
		for _, pe := range idle {
			p.n.Add(-1)
			p.counts.evictions.Add(1)
			p.retire(pe, "idle", false)
		}
	}
}

// evictLRU drops the least recently used of a sample of entries, other
// than keep, preferring those no request uses.
func (p *Pool) evictLRU(keep *poolEntry) {
	const sample = 16
	for p.n.Load() > int64(p.max) {
		now := p.clock.Load()
		var victim *poolEntry
		var vAge uint32
		vBusy := true
		seen := 0
		start := rand.IntN(poolShards)
		for i := 0; i < poolShards && seen < sample; i++ {
			t := p.shards[(start+i)%poolShards].tab.Load()
			if t == nil {
				continue
			}
			off := rand.IntN(len(t.slots))
			for j := 0; j < len(t.slots) && seen < sample; j++ {
				pe := t.slots[(off+j)&int(t.mask)].Load()
				if pe == nil || pe == poolTomb || pe == keep {
					continue
				}
				seen++
				w := pe.word.Load()
				age, busy := now-uint32(w), w&poolRefMask != 0
				if victim == nil || (vBusy && !busy) || (busy == vBusy && age > vAge) {
					victim, vAge, vBusy = pe, age, busy
				}
			}
		}
		if victim == nil {
			return
		}
		h := maphash.String(p.seed, victim.key)
		s := p.shard(h)
		s.mu.Lock()
		got := s.lookup(h, victim.key) == victim
		if got {
			s.remove(h, victim.key)
		}
		s.mu.Unlock()
		if got {
			p.n.Add(-1)
			p.counts.evictions.Add(1)
			p.retire(victim, "max", false)
		}
	}
}
