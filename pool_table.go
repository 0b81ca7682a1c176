package iotauth

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// The Pool's table: poolShards shards, each an open-addressing hash table
// with linear probing whose slots readers load without a lock, and which
// writers change under the shard's mutex. Removing an entry leaves a
// tombstone; a table grows, shrinks or sheds its tombstones by being copied
// into a new one, swapped in atomically. A reader of the old table may still
// find a removed entry: the entry's evicted flag tells it so.
//
// Per entry this costs the poolEntry (32 bytes) and about 11 to 21 bytes of
// slots, against about 80 for a sync.Map.

const poolShards = 64 // a power of two; the top bits of a key's hash pick its shard

// poolEntry is one key's Cache in the table.
type poolEntry struct {
	key  string
	c    *Cache
	word atomic.Uint64 // last-use stamp, requests holding c, evicted and closed flags
}

// poolTomb marks a removed entry's slot: probes go on past it.
var poolTomb = new(poolEntry)

type poolTable struct {
	slots []atomic.Pointer[poolEntry]
	mask  uint64
}

type poolShard struct {
	tab     atomic.Pointer[poolTable]
	mu      sync.Mutex
	live    int                  // entries in tab; under mu
	used    int                  // slots not nil (entries and tombstones); under mu
	pending map[string]*poolLoad // loads in flight and failed loads; under mu
	purgeAt int                  // len(pending) at which failed loads are purged; under mu
	seed    maphash.Seed         // the Pool's
	_       [8]byte              // keeps shards on their own cache lines
}

func (p *Pool) shard(h uint64) *poolShard { return &p.shards[h>>(64-6)] }

// lookup returns key's entry, or nil.
func (s *poolShard) lookup(h uint64, key string) *poolEntry {
	t := s.tab.Load()
	if t == nil {
		return nil
	}
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		pe := t.slots[i].Load()
		if pe == nil {
			return nil
		}
		if pe != poolTomb && pe.key == key {
			return pe
		}
	}
}

// insertLocked adds pe, whose key is not in the table. s.mu must be held.
func (s *poolShard) insertLocked(h uint64, pe *poolEntry) {
	t := s.tab.Load()
	if t == nil || (s.used+1)*4 > len(t.slots)*3 {
		t = s.rebuildLocked(s.live + 1)
	}
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		switch old := t.slots[i].Load(); old {
		case nil:
			s.used++
			fallthrough
		case poolTomb:
			t.slots[i].Store(pe)
			s.live++
			return
		}
	}
}

// remove takes key's entry out of the table and returns it, or nil. s.mu
// must be held.
func (s *poolShard) remove(h uint64, key string) *poolEntry {
	t := s.tab.Load()
	if t == nil {
		return nil
	}
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		pe := t.slots[i].Load()
		if pe == nil {
			return nil
		}
		if pe != poolTomb && pe.key == key {
			t.slots[i].Store(poolTomb)
			s.live--
			s.shrinkLocked()
			return pe
		}
	}
}

// removeIf takes out every entry for which drop says so, appending them to
// out. s.mu must be held.
func (s *poolShard) removeIf(out []*poolEntry, drop func(*poolEntry) bool) []*poolEntry {
	t := s.tab.Load()
	if t == nil {
		return out
	}
	for i := range t.slots {
		if pe := t.slots[i].Load(); pe != nil && pe != poolTomb && drop(pe) {
			t.slots[i].Store(poolTomb)
			s.live--
			out = append(out, pe)
		}
	}
	s.shrinkLocked()
	return out
}

// drain takes out every entry. s.mu must be held.
func (s *poolShard) drain() []*poolEntry {
	return s.removeIf(nil, func(*poolEntry) bool { return true })
}

// shrinkLocked copies the table into a smaller one when it is mostly empty.
func (s *poolShard) shrinkLocked() {
	if t := s.tab.Load(); t != nil && len(t.slots) > 8 && s.live*8 < len(t.slots) {
		s.rebuildLocked(s.live)
	}
}

// rebuildLocked copies the live entries into a new table sized for n
// entries (loaded between 3/8 and 3/4), without tombstones. s.mu must be held.
func (s *poolShard) rebuildLocked(n int) *poolTable {
	size := 8
	for size*3 < n*8 { // keep n at most 3/8 of the new table
		size *= 2
	}
	nt := &poolTable{slots: make([]atomic.Pointer[poolEntry], size), mask: uint64(size - 1)}
	if old := s.tab.Load(); old != nil {
		for i := range old.slots {
			if pe := old.slots[i].Load(); pe != nil && pe != poolTomb {
				nt.put(maphash.String(s.seed, pe.key), pe)
			}
		}
	}
	s.used = s.live
	s.tab.Store(nt)
	return nt
}

// put places pe in a table no reader sees yet.
func (t *poolTable) put(h uint64, pe *poolEntry) {
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		if t.slots[i].Load() == nil {
			t.slots[i].Store(pe)
			return
		}
	}
}
